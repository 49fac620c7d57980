// Rendering: RFC 3339 times, the contract's camelCase shapes field by field, and the one
// table from outcomes to HTTP status, code and problem body.
#include "http/render.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vector>

namespace concert::http {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

/// The rendered text, parsed back: a test of the text the server sends.
template <class T>
ordered_json parsed(const T& v) {
  return ordered_json::parse(to_json(v));
}

std::vector<std::string> keys(const ordered_json& j) {
  std::vector<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
  return out;
}

constexpr time_us xmas_2026 = 1'798'138'800'000'000;  // 2026-12-24T19:00:00Z

TEST(Rfc3339, UtcWithZAndOptionalMilliseconds) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339(xmas_2026), "2026-12-24T19:00:00Z");
  EXPECT_EQ(rfc3339(xmas_2026 + 250'000), "2026-12-24T19:00:00.250Z");
  EXPECT_EQ(rfc3339(xmas_2026 + 999'999), "2026-12-24T19:00:00.999Z");  // truncated
  EXPECT_EQ(rfc3339(xmas_2026 + 999), "2026-12-24T19:00:00Z");
  EXPECT_EQ(rfc3339(1'709'164'800'000'000), "2024-02-29T00:00:00Z");  // leap day
  EXPECT_EQ(rfc3339(951'782'400'000'000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(rfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339(-86'400'000'000), "1969-12-31T00:00:00Z");
  EXPECT_EQ(rfc3339(INT64_MAX), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339(INT64_MIN), "0000-01-01T00:00:00Z");
}

TEST(Render, TokenShape) {
  token_view v{"tok", 7, false, 12, 95, 5, xmas_2026};
  auto j = parsed(v);
  EXPECT_EQ(keys(j), (std::vector<std::string>{"token", "userId", "status", "position",
                                               "etaSeconds", "nextPollSeconds", "expiresAt"}));
  EXPECT_EQ(j["status"], "WAITING");
  EXPECT_EQ(j["position"], 12);
  EXPECT_EQ(j["expiresAt"], "2026-12-24T19:00:00Z");
  v.active = true;
  EXPECT_EQ(parsed(v)["status"], "ACTIVE");
  EXPECT_EQ(parsed(v)["position"], 0);  // 0 when ACTIVE, whatever the gate left in it
}

TEST(Render, CatalogShapes) {
  EXPECT_EQ(keys(parsed(concert_info{1, "t", "p", "v"})),
            (std::vector<std::string>{"id", "title", "performer", "venue"}));
  auto s = parsed(schedule_info{2, 1, xmas_2026, 50, 48});
  EXPECT_EQ(keys(s), (std::vector<std::string>{"id", "concertId", "startsAt", "totalSeats",
                                               "availableSeats"}));
  EXPECT_EQ(s["startsAt"], "2026-12-24T19:00:00Z");
  EXPECT_EQ(s["availableSeats"], 48);
  auto seat = parsed(seat_info{17, 150000, seat_status::paying});
  EXPECT_EQ(keys(seat), (std::vector<std::string>{"seatNo", "price", "status"}));
  EXPECT_EQ(seat["status"], "HELD");  // PAYING is shown as HELD
  EXPECT_EQ(parsed(seat_info{1, 1, seat_status::sold})["status"], "SOLD");
  EXPECT_EQ(parsed(seat_info{1, 1, seat_status::available})["status"], "AVAILABLE");
}

TEST(Render, ReservationPaymentHistoryShapes) {
  auto r = parsed(reservation{9, 7, 1, 17, 150000, reservation_status::confirmed, xmas_2026});
  EXPECT_EQ(keys(r), (std::vector<std::string>{"id", "userId", "scheduleId", "seatNo", "price",
                                               "status", "expiresAt"}));
  EXPECT_EQ(r["status"], "CONFIRMED");
  auto p = parsed(payment{9, 9, 7, 150000, 350000, xmas_2026});
  EXPECT_EQ(keys(p), (std::vector<std::string>{"id", "reservationId", "userId", "amount", "balance",
                                               "paidAt"}));
  EXPECT_EQ(p["balance"], 350000);
  auto h = parsed(history_entry{history_kind::payment, 150000, 350000, xmas_2026});
  EXPECT_EQ(keys(h), (std::vector<std::string>{"kind", "amount", "balance", "at"}));
  EXPECT_EQ(h["kind"], "PAYMENT");
}

TEST(Render, StringsAreEscapedExactlyAsNlohmannWould) {
  using namespace std::string_literals;
  const std::string tricky[] = {"",
                                "plain",
                                "quote \" and backslash \\",
                                "nul \0 tab \t newline \n bell \x07"s,
                                "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5",  // valid UTF-8
                                "bad \xff byte, cut \xe2\x82",                // not UTF-8
                                "\x7f delete"};
  for (const auto& t : tricky) {
    SCOPED_TRACE(t);
    concert_info c{3, t, t, t};
    ordered_json expected = {{"id", 3}, {"title", t}, {"performer", t}, {"venue", t}};
    EXPECT_EQ(to_json(c), expected.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

TEST(Render, ListsAreArraysInOrder) {
  EXPECT_EQ(to_json(std::vector<seat_info>{}), "[]");
  std::vector<seat_info> seats{{1, 100, seat_status::available}, {2, 200, seat_status::held}};
  EXPECT_EQ(to_json(seats), R"([{"seatNo":1,"price":100,"status":"AVAILABLE"},)"
                            R"({"seatNo":2,"price":200,"status":"HELD"}])");
  auto j = parsed(std::vector<schedule_info>{{2, 1, xmas_2026, 50, 48}, {5, 1, 0, 50, 0}});
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["id"], 5);
  EXPECT_EQ(j[1]["startsAt"], "1970-01-01T00:00:00Z");
}

TEST(Render, ExtremeNumbersStayExact) {
  auto r = parsed(reservation{UINT64_MAX, UINT64_MAX, 1, UINT32_MAX, INT64_MIN,
                              reservation_status::held, xmas_2026 + 1'500});
  EXPECT_EQ(r["id"].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(r["seatNo"].get<uint64_t>(), UINT32_MAX);
  EXPECT_EQ(r["price"].get<int64_t>(), INT64_MIN);
  EXPECT_EQ(r["expiresAt"], "2026-12-24T19:00:00.001Z");
}

TEST(Render, StatusFollowsTheOutcome) {
  reservation r{9, 7, 1, 17, 150000, reservation_status::held, xmas_2026};
  auto created = render(code::created, r);
  EXPECT_EQ(created.status, 201u);
  EXPECT_EQ(created.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(json::parse(created.body)["id"], 9);
  EXPECT_EQ(render(code::ok, r).status, 200u);
  auto refused = render(code::seat_unavailable, r);
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(refused.content_type, "application/problem+json");
  EXPECT_EQ(json::parse(refused.body)["code"], "SEAT_UNAVAILABLE");
  EXPECT_EQ(render_no_content(code::ok).status, 204u);
  EXPECT_TRUE(render_no_content(code::ok).body.empty());
  EXPECT_EQ(render_no_content(code::token_expired).status, 401u);
  EXPECT_EQ(json::parse(render_balance(code::ok, 7, 5).body),
            json::parse(R"({"userId": 7, "balance": 5})"));
  EXPECT_EQ(json::parse(render_balance(code::invalid_amount, 7, 5).body)["code"], "INVALID_AMOUNT");
  EXPECT_EQ(json::parse(render_health().body), json::parse(R"({"status": "ok"})"));
  auto busy = render_unavailable("timeout");
  EXPECT_EQ(busy.status, 503u);
  EXPECT_EQ(busy.header("Retry-After"), "1");
}

TEST(ProblemTable, EveryCodeHasTheContractsStatus) {
  struct row {
    code c;
    unsigned status;
  };
  const row table[] = {
      {code::ok, 200},
      {code::created, 201},
      {code::invalid_request, 400},
      {code::token_invalid, 401},
      {code::token_expired, 401},
      {code::queue_not_admitted, 403},
      {code::concert_not_found, 404},
      {code::schedule_not_found, 404},
      {code::seat_not_found, 404},
      {code::seat_unavailable, 409},
      {code::hold_limit_reached, 409},
      {code::reservation_not_found, 404},
      {code::reservation_expired, 410},
      {code::reservation_not_payable, 409},
      {code::insufficient_points, 402},
      {code::invalid_amount, 400},
      {code::unavailable, 503},
  };
  EXPECT_EQ(std::size(table), static_cast<size_t>(code::unavailable) + 1);
  for (auto [c, status] : table) {
    SCOPED_TRACE(std::string(code_name(c)));
    EXPECT_EQ(status_of(c), status);
    EXPECT_EQ(spec_of(c).code, code_name(c));  // the wire code is the domain's name
    if (succeeded(c)) continue;
    auto p = outcome_problem(c);
    EXPECT_EQ(p.status, status);
    EXPECT_EQ(p.content_type, "application/problem+json");
    auto j = json::parse(p.body);
    EXPECT_EQ(j["status"], status);
    EXPECT_EQ(j["code"], code_name(c));
    EXPECT_EQ(j["type"].get<std::string>().rfind(problem_type_base, 0), 0u);
    EXPECT_FALSE(j["title"].get<std::string>().empty());
    EXPECT_TRUE(j.contains("detail"));
  }
  EXPECT_EQ(outcome_problem(code::token_invalid).header("WWW-Authenticate"), "Bearer");
}

TEST(ProblemTable, EdgeProblems) {
  EXPECT_EQ(spec_of(edge_problem::route_not_found).status, 404u);
  EXPECT_EQ(spec_of(edge_problem::method_not_allowed).status, 405u);
  EXPECT_EQ(spec_of(edge_problem::payload_too_large).status, 413u);
  EXPECT_EQ(spec_of(edge_problem::headers_too_large).status, 431u);
  EXPECT_EQ(spec_of(edge_problem::malformed_http).code, "INVALID_REQUEST");
  EXPECT_EQ(spec_of(edge_problem::too_many_connections).status, 503u);
}

TEST(ProblemTable, DetailWithInvalidUtf8StillRenders) {
  auto p = problem(code::invalid_request, "bad byte \xff here");
  EXPECT_FALSE(json::parse(p.body, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace concert::http
