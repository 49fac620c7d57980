// The HTTP contract end to end: a real node on a loopback port (real scheduler, real
// clock), driven through every route with every success and error code of http-api.md,
// the whole fan journey in order, admission of the next fan after a payment, idempotent
// payment retries and hold expiry with a one-second hold.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "api_fixture.hpp"

namespace concert::http::testing {
namespace {

TEST_F(ApiTest, OperationsRoutes) {
  auto h = get("/healthz");
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(h.header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(h.json(), json::parse(R"({"status": "ok"})"));
  auto o = get("/openapi.json");
  EXPECT_EQ(o.status, 200u);
  EXPECT_EQ(o.json()["openapi"].get<std::string>().substr(0, 4), "3.0.");
  token_for(1);
  auto m = get("/metrics");
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.header("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(m.body.find("concert_queue_active 1\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("concert_seats_available 450\n"), std::string::npos) << m.body;
  EXPECT_NE(
      m.body.find(
          R"(concert_http_requests_total{route="/api/v1/queue/tokens",method="POST",status="201"} 1)"),
      std::string::npos);
}

TEST_F(ApiTest, IssueTokenCreatedThenTheSameTokenBack) {
  auto first = post("/api/v1/queue/tokens", {{"userId", 7}});
  EXPECT_EQ(first.status, 201u);
  auto t = first.json();
  EXPECT_EQ(t["userId"], 7);
  EXPECT_EQ(t["status"], "ACTIVE");
  EXPECT_EQ(t["position"], 0);
  for (const char* k : {"token", "etaSeconds", "nextPollSeconds", "expiresAt"})
    EXPECT_TRUE(t.contains(k)) << k;
  EXPECT_EQ(t["expiresAt"].get<std::string>().back(), 'Z');
  auto again = post("/api/v1/queue/tokens", {{"userId", 7}});
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(again.json()["token"], t["token"]);
  expect_problem(post("/api/v1/queue/tokens", {{"userId", 0}}), 400, "INVALID_REQUEST");
}

TEST_F(ApiTest, PollAndLeave) {
  auto token = token_for(7);
  auto p = get("/api/v1/queue/tokens/me", token);
  EXPECT_EQ(p.status, 200u);
  EXPECT_EQ(p.json()["token"], token);
  EXPECT_EQ(p.json()["status"], "ACTIVE");
  auto left = c().request("DELETE", "/api/v1/queue/tokens/me", {}, bearer(token));
  EXPECT_EQ(left.status, 204u);
  EXPECT_TRUE(left.body.empty());
  expect_problem(get("/api/v1/queue/tokens/me", token), 401, "TOKEN_EXPIRED");
  expect_problem(c().request("DELETE", "/api/v1/queue/tokens/me", {}, bearer(token)), 401,
                 "TOKEN_EXPIRED");
  expect_problem(get("/api/v1/concerts", token), 401, "TOKEN_EXPIRED");
  // A user who left may queue again and gets a new token.
  auto back = post("/api/v1/queue/tokens", {{"userId", 7}});
  EXPECT_EQ(back.status, 201u);
  EXPECT_NE(back.json()["token"], token);
}

// concertd sends the polls of one io round to the gate as one message; each connection
// must still get the answer for its own token, whatever else shared the batch. With two
// io threads, rounds are gathered and handed out on either thread.
class IoRoundTest : public ApiTest {
 protected:
  void polls_each_get_their_own_answer(unsigned io_threads);
  /// `fans` connections hold at once, fan i seat 1 + i % `seats` of schedule 5: each
  /// seat has exactly one winner, every other fan gets 409 SEAT_UNAVAILABLE.
  void holds_race(unsigned io_threads, int fans, int seats);
};

void IoRoundTest::holds_race(unsigned io_threads, int fans, int seats) {
  auto o = test_options();
  o.io_threads = io_threads;
  start(o);
  std::vector<std::string> tokens;
  for (int i = 0; i < fans; ++i) tokens.push_back(token_for(100 + i));
  std::atomic<int> created{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < fans; ++i)
    threads.emplace_back([&, i] {
      client own(port());
      auto r =
          own.request("POST", "/api/v1/reservations",
                      json{{"scheduleId", 5}, {"seatNo", 1 + i % seats}}.dump(), bearer(tokens[i]));
      if (r.status == 201) ++created;
      if (r.status == 409 && r.json()["code"] == "SEAT_UNAVAILABLE") ++conflicts;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(created.load(), seats);
  EXPECT_EQ(conflicts.load(), fans - seats);
}

void IoRoundTest::polls_each_get_their_own_answer(unsigned io_threads) {
  auto o = test_options();
  o.system.gate.max_active = 4;
  o.io_threads = io_threads;
  start(o);
  constexpr int fans = 12;
  std::vector<std::string> tokens;
  for (int i = 0; i < fans; ++i) tokens.push_back(token_for(200 + i));
  tokens.push_back("garbled-token");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < tokens.size(); ++i)
    threads.emplace_back([&, i] {
      client own(port());
      for (int n = 0; n < 25; ++n) {
        auto r = own.request("GET", "/api/v1/queue/tokens/me", {}, bearer(tokens[i]));
        if (i == fans) {
          wrong += r.status != 401 || r.json()["code"] != "TOKEN_INVALID";
          continue;
        }
        auto j = r.json();
        bool active = i < 4;
        wrong += r.status != 200 || j["token"] != tokens[i] || j["userId"] != 200 + i ||
                 j["status"] != (active ? "ACTIVE" : "WAITING") ||
                 (!active && j["position"] != i - 3);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(IoRoundTest, ConcurrentPollsEachGetTheirOwnAnswer) { polls_each_get_their_own_answer(1); }

TEST_F(IoRoundTest, ConcurrentPollsEachGetTheirOwnAnswerOnTwoIoThreads) {
  polls_each_get_their_own_answer(2);
}

TEST_F(IoRoundTest, ConcurrentHoldsOnOneSeatHaveOneWinner) { holds_race(1, 8, 1); }

// Guarded routes from many connections on two io threads: every hold is answered, and
// each seat has exactly one winner.
TEST_F(IoRoundTest, ConcurrentHoldsOnTwoIoThreadsHaveOneWinnerPerSeat) { holds_race(2, 16, 4); }

TEST_F(ApiTest, UnknownOrGarbledTokensAreInvalid) {
  const std::string forged(43, 'A');  // the right shape, not signed by this server
  expect_problem(get("/api/v1/queue/tokens/me", forged), 401, "TOKEN_INVALID");
  expect_problem(get("/api/v1/concerts", forged), 401, "TOKEN_INVALID");
  expect_problem(get("/api/v1/concerts"), 401, "TOKEN_INVALID");
  auto r = c().request("GET", "/api/v1/concerts", {}, {{"Authorization", "Bearer a b"}});
  expect_problem(r, 401, "TOKEN_INVALID");
  EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  expect_problem(c().request("DELETE", "/api/v1/queue/tokens/me"), 401, "TOKEN_INVALID");
}

TEST_F(ApiTest, WaitingTokenIsNotAdmitted) {
  auto o = test_options();
  o.system.gate.max_active = 1;
  start(o);
  auto first = token_for(1);
  auto second = post("/api/v1/queue/tokens", {{"userId", 2}});
  EXPECT_EQ(second.status, 201u);
  auto w = second.json();
  EXPECT_EQ(w["status"], "WAITING");
  EXPECT_EQ(w["position"], 1);
  EXPECT_GT(w["nextPollSeconds"].get<int64_t>(), 0);
  const std::string token = w["token"];
  expect_problem(get("/api/v1/concerts", token), 403, "QUEUE_NOT_ADMITTED");
  expect_problem(post("/api/v1/reservations", {{"scheduleId", 1}, {"seatNo", 1}}, token), 403,
                 "QUEUE_NOT_ADMITTED");
  expect_problem(post("/api/v1/payments", {{"reservationId", 1}}, token), 403,
                 "QUEUE_NOT_ADMITTED");
  EXPECT_EQ(get("/api/v1/concerts", first).status, 200u);
}

TEST_F(ApiTest, CatalogRoutes) {
  auto token = token_for(1);
  auto concerts = get("/api/v1/concerts", token);
  EXPECT_EQ(concerts.status, 200u);
  ASSERT_EQ(concerts.json().size(), 3u);
  EXPECT_EQ(concerts.json()[0], json::parse(R"({"id": 1, "title": "Winter Symphony Night",
      "performer": "Seoul Philharmonic Orchestra", "venue": "Lotte Concert Hall"})"));
  auto schedules = get("/api/v1/concerts/1/schedules", token).json();
  ASSERT_EQ(schedules.size(), 3u);
  EXPECT_EQ(schedules[0], json::parse(R"({"id": 1, "concertId": 1, "startsAt":
      "2026-12-24T19:00:00Z", "totalSeats": 50, "availableSeats": 50})"));
  expect_problem(get("/api/v1/concerts/99/schedules", token), 404, "CONCERT_NOT_FOUND");
  auto seats = get("/api/v1/schedules/1/seats", token).json();
  ASSERT_EQ(seats.size(), 50u);
  EXPECT_EQ(seats[0], json::parse(R"({"seatNo": 1, "price": 150000, "status": "AVAILABLE"})"));
  EXPECT_EQ(seats[49]["price"], 60000);
  expect_problem(get("/api/v1/schedules/99/seats", token), 404, "SCHEDULE_NOT_FOUND");
  expect_problem(get("/api/v1/schedules/99/seats?all=true", token), 404, "SCHEDULE_NOT_FOUND");
}

TEST_F(ApiTest, HoldsAndTheirRefusals) {
  auto a = token_for(1), b = token_for(2);
  auto held = post("/api/v1/reservations", {{"scheduleId", 1}, {"seatNo", 17}}, a);
  EXPECT_EQ(held.status, 201u) << held.body;
  auto r = held.json();
  EXPECT_EQ(r["userId"], 1);
  EXPECT_EQ(r["scheduleId"], 1);
  EXPECT_EQ(r["seatNo"], 17);
  EXPECT_EQ(r["price"], 100000);
  EXPECT_EQ(r["status"], "HELD");
  EXPECT_EQ(r["expiresAt"].get<std::string>().back(), 'Z');
  // The held seat leaves the reservable list and shows HELD in the full one.
  auto seats = get("/api/v1/schedules/1/seats", a).json();
  EXPECT_EQ(seats.size(), 49u);
  EXPECT_EQ(all_seats(1, a)[16]["status"], "HELD");
  EXPECT_EQ(get("/api/v1/concerts/1/schedules", a).json()[0]["availableSeats"], 49);

  expect_problem(post("/api/v1/reservations", {{"scheduleId", 1}, {"seatNo", 17}}, b), 409,
                 "SEAT_UNAVAILABLE");
  expect_problem(post("/api/v1/reservations", {{"scheduleId", 1}, {"seatNo", 51}}, b), 404,
                 "SEAT_NOT_FOUND");
  expect_problem(post("/api/v1/reservations", {{"scheduleId", 99}, {"seatNo", 1}}, b), 404,
                 "SCHEDULE_NOT_FOUND");

  auto id = std::to_string(r["id"].get<uint64_t>());
  auto mine = get("/api/v1/reservations/" + id, a);
  EXPECT_EQ(mine.status, 200u);
  EXPECT_EQ(mine.json(), r);
  expect_problem(get("/api/v1/reservations/" + id, b), 404, "RESERVATION_NOT_FOUND");
  expect_problem(get("/api/v1/reservations/123456789", a), 404, "RESERVATION_NOT_FOUND");
}

TEST_F(ApiTest, HoldLimitPerUser) {
  auto o = test_options();
  o.system.wallets.max_holds_per_user = 2;
  start(o);
  auto t = token_for(1);
  EXPECT_EQ(post("/api/v1/reservations", {{"scheduleId", 2}, {"seatNo", 1}}, t).status, 201u);
  EXPECT_EQ(post("/api/v1/reservations", {{"scheduleId", 2}, {"seatNo", 2}}, t).status, 201u);
  expect_problem(post("/api/v1/reservations", {{"scheduleId", 2}, {"seatNo", 3}}, t), 409,
                 "HOLD_LIMIT_REACHED");
  EXPECT_EQ(all_seats(2, t)[2]["status"], "AVAILABLE");  // the refused hold held nothing
}

TEST_F(ApiTest, PointsRoutes) {
  auto fresh = get("/api/v1/users/4242/points");
  EXPECT_EQ(fresh.status, 200u);
  EXPECT_EQ(fresh.json(), json::parse(R"({"userId": 4242, "balance": 0})"));
  EXPECT_EQ(get("/api/v1/users/4242/points/history").json(), json::array());
  auto charged = post("/api/v1/users/5/points/charge", {{"amount", 50000}});
  EXPECT_EQ(charged.status, 200u);
  EXPECT_EQ(charged.json(), json::parse(R"({"userId": 5, "balance": 50000})"));
  charge(5, 25);
  auto history = get("/api/v1/users/5/points/history").json();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["kind"], "CHARGE");  // newest first
  EXPECT_EQ(history[0]["amount"], 25);
  EXPECT_EQ(history[0]["balance"], 50025);
  EXPECT_EQ(history[1]["amount"], 50000);
  EXPECT_EQ(history[1]["at"].get<std::string>().back(), 'Z');
  expect_problem(post("/api/v1/users/5/points/charge", {{"amount", 0}}), 400, "INVALID_AMOUNT");
  expect_problem(post("/api/v1/users/5/points/charge", {{"amount", 1.5}}), 400, "INVALID_AMOUNT");
  expect_problem(post("/api/v1/users/5/points/charge", {{"amount", 100'000'000}}), 400,
                 "INVALID_AMOUNT");  // would pass the default maximum balance
  EXPECT_EQ(balance(5), 50025);
}

TEST_F(ApiTest, PaymentCodesAndIdempotency) {
  auto t = token_for(3);
  auto r = post("/api/v1/reservations", {{"scheduleId", 3}, {"seatNo", 40}}, t).json();
  const uint64_t id = r["id"];
  charge(3, 59'999);
  expect_problem(post("/api/v1/payments", {{"reservationId", id}}, t), 402, "INSUFFICIENT_POINTS");
  EXPECT_EQ(get("/api/v1/reservations/" + std::to_string(id), t).json()["status"], "HELD");
  expect_problem(post("/api/v1/payments", {{"reservationId", 987654321}}, t), 404,
                 "RESERVATION_NOT_FOUND");
  charge(3, 1);  // exactly the price now
  const header_list key{{"Idempotency-Key", "order-3-a"}};
  auto paid = post("/api/v1/payments", {{"reservationId", id}}, t, key);
  ASSERT_EQ(paid.status, 201u) << paid.body;
  auto p = paid.json();
  EXPECT_EQ(p["reservationId"], id);
  EXPECT_EQ(p["userId"], 3);
  EXPECT_EQ(p["amount"], 60000);
  EXPECT_EQ(p["balance"], 0);
  EXPECT_EQ(p["paidAt"].get<std::string>().back(), 'Z');
  EXPECT_EQ(balance(3), 0);
  // The token ended with the payment, yet a retry with the same key gets the first result.
  expect_problem(get("/api/v1/queue/tokens/me", t), 401, "TOKEN_EXPIRED");
  auto retry = post("/api/v1/payments", {{"reservationId", id}}, t, key);
  EXPECT_EQ(retry.status, 201u) << retry.body;
  EXPECT_EQ(retry.json(), p);
  EXPECT_EQ(balance(3), 0);  // charged once
  expect_problem(post("/api/v1/payments", {{"reservationId", id}}, t), 401, "TOKEN_EXPIRED");
  // With a new token: the reservation is CONFIRMED, the seat SOLD, another key is refused.
  auto t2 = token_for(3);
  EXPECT_EQ(get("/api/v1/reservations/" + std::to_string(id), t2).json()["status"], "CONFIRMED");
  EXPECT_EQ(all_seats(3, t2)[39]["status"], "SOLD");
  expect_problem(
      post("/api/v1/payments", {{"reservationId", id}}, t2, {{"Idempotency-Key", "order-3-b"}}),
      409, "RESERVATION_NOT_PAYABLE");
  auto again = post("/api/v1/payments", {{"reservationId", id}}, t2, key);
  EXPECT_EQ(again.status, 201u);
  EXPECT_EQ(again.json(), p);
  auto history = get("/api/v1/users/3/points/history").json();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0]["kind"], "PAYMENT");
  EXPECT_EQ(history[0]["amount"], 60000);
}

TEST_F(ApiTest, WholeJourneyInOrder) {
  auto issued = post("/api/v1/queue/tokens", {{"userId", 77}});
  ASSERT_EQ(issued.status, 201u);
  const std::string t = issued.json()["token"];
  EXPECT_EQ(poll_until(t, "ACTIVE")["status"], "ACTIVE");
  auto concerts = get("/api/v1/concerts", t).json();
  const uint64_t concert = concerts[1]["id"];
  auto schedules = get("/api/v1/concerts/" + std::to_string(concert) + "/schedules", t).json();
  const uint64_t schedule = schedules[0]["id"];
  auto seats = get("/api/v1/schedules/" + std::to_string(schedule) + "/seats", t).json();
  const auto seat = seats[0];
  auto hold =
      post("/api/v1/reservations", {{"scheduleId", schedule}, {"seatNo", seat["seatNo"]}}, t);
  ASSERT_EQ(hold.status, 201u);
  charge(77, seat["price"].get<int64_t>() + 10);
  auto pay = post("/api/v1/payments", {{"reservationId", hold.json()["id"]}}, t);
  ASSERT_EQ(pay.status, 201u);
  EXPECT_EQ(pay.json()["balance"], 10);
  expect_problem(get("/api/v1/queue/tokens/me", t), 401, "TOKEN_EXPIRED");
  expect_problem(get("/api/v1/concerts", t), 401, "TOKEN_EXPIRED");
}

TEST_F(ApiTest, NextFanIsAdmittedAfterAPayment) {
  auto o = test_options();
  o.system.gate.max_active = 1;
  start(o);
  auto a = token_for(1);
  auto b = post("/api/v1/queue/tokens", {{"userId", 2}}).json();
  ASSERT_EQ(b["status"], "WAITING");
  const std::string bt = b["token"];
  auto hold = post("/api/v1/reservations", {{"scheduleId", 1}, {"seatNo", 50}}, a).json();
  charge(1, 60000);
  ASSERT_EQ(post("/api/v1/payments", {{"reservationId", hold["id"]}}, a).status, 201u);
  auto now = poll_until(bt, "ACTIVE");
  EXPECT_EQ(now["status"], "ACTIVE");
  EXPECT_EQ(now["position"], 0);
  EXPECT_EQ(get("/api/v1/concerts", bt).status, 200u);
}

TEST_F(ApiTest, UnpaidHoldLapses) {
  auto o = test_options();
  o.system.seats.hold_time = seconds_us(1);
  start(o);
  auto t = token_for(8);
  charge(8, 1'000'000);
  auto r = post("/api/v1/reservations", {{"scheduleId", 4}, {"seatNo", 5}}, t).json();
  const uint64_t id = r["id"];
  std::this_thread::sleep_for(1200ms);
  EXPECT_EQ(all_seats(4, t)[4]["status"], "AVAILABLE");
  EXPECT_EQ(get("/api/v1/reservations/" + std::to_string(id), t).json()["status"], "EXPIRED");
  expect_problem(post("/api/v1/payments", {{"reservationId", id}}, t), 410, "RESERVATION_EXPIRED");
  EXPECT_EQ(balance(8), 1'000'000);
  // Someone else can take the seat now.
  auto other = token_for(9);
  EXPECT_EQ(post("/api/v1/reservations", {{"scheduleId", 4}, {"seatNo", 5}}, other).status, 201u);
}

}  // namespace
}  // namespace concert::http::testing
