// Strict decoding of bodies and headers, and parse_request end to end without sockets:
// every refusal carries the contract's status and code, and well-formed requests turn
// into exactly the command the route stands for.
#include "http/request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace concert::http {
namespace {

using json = nlohmann::json;

json body_of(const response_out& r) { return json::parse(r.body); }

TEST(ParseObject, AcceptsObjectsOnly) {
  EXPECT_TRUE(parse_object(R"({"userId": 7})").ok());
  EXPECT_TRUE(parse_object(" {} ").ok());
  EXPECT_TRUE(parse_object(R"({"a": {"b": [1, 2, {"c": null}]}})").ok());
  for (const char* bad :
       {"", " ", "[]", "null", "7", "\"x\"", "{", "}", "{}x", "{} {}", R"({"a":})", R"({"a" 1})",
        R"({'a': 1})", R"({"a": 1,})", "{\"a\":\"\xff\"}", R"({"a": NaN})", R"({"a": 01})"}) {
    auto r = parse_object(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().what, code::invalid_request) << bad;
    }
  }
  EXPECT_FALSE(parse_object(std::string_view("\0{}", 3)).ok());
  EXPECT_FALSE(parse_object(std::string_view("{}\0", 3)).ok());
}

TEST(ParseObject, RefusesDuplicateKeysAtAnyDepth) {
  EXPECT_FALSE(parse_object(R"({"userId": 1, "userId": 2})").ok());
  EXPECT_FALSE(parse_object(R"({"x": {"a": 1, "a": 1}})").ok());
  EXPECT_FALSE(parse_object(R"({"x": [{"a": 1, "a": 2}]})").ok());
  EXPECT_TRUE(parse_object(R"({"x": {"a": 1}, "y": {"a": 1}})").ok());  // same key, other objects
}

TEST(ParseObject, BoundsNesting) {
  auto nested = [](int depth) {
    std::string s;
    for (int i = 1; i < depth; ++i) s += "{\"a\":";
    s += "{}";
    for (int i = 1; i < depth; ++i) s += "}";
    return s;
  };
  EXPECT_TRUE(parse_object(nested(json_depth_max)).ok());
  EXPECT_FALSE(parse_object(nested(json_depth_max + 1)).ok());
  EXPECT_FALSE(
      parse_object("{\"a\":" + std::string(30000, '[') + std::string(30000, ']') + "}").ok());
}

TEST(PositiveField, OnlyPositiveIntegerLiterals) {
  auto field = [](const char* text, uint64_t max = uint64_t(INT64_MAX)) {
    return positive_field(json::parse(text), "v", max);
  };
  EXPECT_EQ(field(R"({"v": 7})").value(), 7u);
  EXPECT_EQ(field(R"({"v": 9223372036854775807})").value(), 9223372036854775807u);
  EXPECT_EQ(field(R"({"v": 4294967295})", 4294967295u).value(), 4294967295u);
  for (const char* bad :
       {R"({})", R"({"v": 0})", R"({"v": -1})", R"({"v": 1.0})", R"({"v": 1.5})", R"({"v": 1e2})",
        R"({"v": "7"})", R"({"v": true})", R"({"v": null})", R"({"v": [7]})", R"({"v": {"x": 7}})",
        R"({"v": 9223372036854775808})", R"({"v": 18446744073709551616})", R"({"V": 7})"}) {
    auto r = field(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().what, code::invalid_request) << bad;
    }
  }
  EXPECT_FALSE(field(R"({"v": 4294967296})", 4294967295u).ok());
}

TEST(AmountField, NonPositiveOrFractionalIsInvalidAmount) {
  auto amount = [](const char* text) { return amount_field(json::parse(text)); };
  EXPECT_EQ(amount(R"({"amount": 50000})").value(), 50000);
  EXPECT_EQ(amount(R"({"amount": 9223372036854775807})").value(), INT64_MAX);
  for (const char* bad : {R"({"amount": 0})", R"({"amount": -5})", R"({"amount": 1.5})",
                          R"({"amount": 1.0})", R"({"amount": 1e3})", R"({"amount": -0.0})",
                          R"({"amount": 9223372036854775808})", R"({"amount": 1e300})"}) {
    auto r = amount(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().what, code::invalid_amount) << bad;
    }
  }
  for (const char* bad : {R"({})", R"({"amount": "50"})", R"({"amount": null})",
                          R"({"amount": true})", R"({"amount": [1]})"}) {
    auto r = amount(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().what, code::invalid_request) << bad;
    }
  }
}

TEST(BearerToken, SchemeCaseInsensitiveToken68Once) {
  EXPECT_EQ(bearer_token({"Bearer abc-DEF_123.~+/", 1}).value(), "abc-DEF_123.~+/");
  EXPECT_EQ(bearer_token({"bearer abc", 1}).value(), "abc");
  EXPECT_EQ(bearer_token({"BEARER abc==", 1}).value(), "abc==");
  EXPECT_EQ(bearer_token({"Bearer   abc", 1}).value(), "abc");
  const std::string long_token = "Bearer " + std::string(token_chars_max + 1, 'a');
  const std::string max_token = "Bearer " + std::string(token_chars_max, 'a');
  EXPECT_TRUE(bearer_token({max_token, 1}).ok());
  for (header_value bad :
       {header_value{"", 0}, header_value{"Bearer abc", 0}, header_value{"Bearer abc", 2},
        header_value{"Bearer", 1}, header_value{"Bearer ", 1}, header_value{"Basic abc", 1},
        header_value{"Bearerabc", 1}, header_value{"Bearer a b", 1}, header_value{"Bearer =abc", 1},
        header_value{"Bearer ab=c", 1}, header_value{"Bearer a\tb", 1},
        header_value{"Bearer \xc3\xa9", 1}, header_value{"Token abc", 1},
        header_value{long_token, 1}}) {
    auto r = bearer_token(bad);
    EXPECT_FALSE(r.ok()) << bad.value;
    if (!r.ok()) {
      EXPECT_EQ(r.error().what, code::token_invalid);
    }
  }
}

TEST(IdempotencyKey, VisibleAsciiBounded) {
  EXPECT_EQ(idempotency_key({"", 0}).value(), "");
  EXPECT_EQ(idempotency_key({"order-7:a", 1}).value(), "order-7:a");
  const std::string max_key(idempotency_key_chars_max, 'k');
  const std::string long_key(idempotency_key_chars_max + 1, 'k');
  EXPECT_TRUE(idempotency_key({max_key, 1}).ok());
  for (header_value bad :
       {header_value{"", 1}, header_value{"a b", 1}, header_value{"k", 2},
        header_value{long_key, 1}, header_value{"caf\xc3\xa9", 1}, header_value{"a\x7f", 1}}) {
    auto r = idempotency_key(bad);
    EXPECT_FALSE(r.ok()) << bad.value;
    if (!r.ok()) {
      EXPECT_EQ(r.error().what, code::invalid_request);
    }
  }
}

// ---- parse_request ------------------------------------------------------------------

request_in req(std::string_view method, std::string_view target, std::string_view body = {},
               std::string_view auth = {}) {
  request_in in;
  in.method = method;
  in.target = target;
  in.body = body;
  if (!auth.empty()) in.authorization = {auth, 1};
  return in;
}

TEST(ParseRequest, WellFormedRequestsBecomeTheirCommands) {
  auto p = parse_request(req("POST", "/api/v1/queue/tokens", R"({"userId": 7, "extra": [1]})"));
  ASSERT_TRUE(p.cmd);
  EXPECT_EQ(std::get<issue_token>(p.cmd->what).user, 7u);
  EXPECT_TRUE(p.cmd->token.empty());

  p = parse_request(req("GET", "/api/v1/schedules/3/seats?all=true", {}, "Bearer tok"));
  ASSERT_TRUE(p.cmd);
  EXPECT_EQ(p.cmd->token, "tok");
  EXPECT_EQ(std::get<list_seats>(p.cmd->what).schedule, 3u);
  EXPECT_TRUE(std::get<list_seats>(p.cmd->what).all);

  p = parse_request(
      req("POST", "/api/v1/reservations", R"({"seatNo": 17, "scheduleId": 1})", "Bearer tok"));
  ASSERT_TRUE(p.cmd);
  EXPECT_EQ(std::get<hold_seat>(p.cmd->what).schedule, 1u);
  EXPECT_EQ(std::get<hold_seat>(p.cmd->what).seat, 17u);

  auto in = req("POST", "/api/v1/payments", R"({"reservationId": 9})", "Bearer tok");
  in.idempotency_key = {"key-1", 1};
  p = parse_request(in);
  ASSERT_TRUE(p.cmd);
  EXPECT_EQ(std::get<pay_reservation>(p.cmd->what).id, 9u);
  EXPECT_EQ(std::get<pay_reservation>(p.cmd->what).idempotency_key, "key-1");

  p = parse_request(req("POST", "/api/v1/users/5/points/charge", R"({"amount": 50000})"));
  ASSERT_TRUE(p.cmd);
  EXPECT_EQ(std::get<charge_points>(p.cmd->what).user, 5u);
  EXPECT_EQ(std::get<charge_points>(p.cmd->what).amount, 50000);

  p = parse_request(req("DELETE", "/api/v1/queue/tokens/me", {}, "Bearer tok"));
  ASSERT_TRUE(p.cmd);
  EXPECT_TRUE(std::holds_alternative<leave_queue>(p.cmd->what));
  EXPECT_EQ(p.route->id, route_id::leave_queue);

  // Bodies of GET requests are ignored rather than parsed.
  p = parse_request(req("GET", "/healthz", "not json"));
  ASSERT_TRUE(p.cmd);
  EXPECT_TRUE(std::holds_alternative<get_health>(p.cmd->what));
}

struct refusal_case {
  const char* method;
  const char* target;
  const char* body;
  const char* auth;  // "" = no header
  unsigned status;
  const char* code;
};

TEST(ParseRequest, RefusalsCarryStatusAndCode) {
  const refusal_case cases[] = {
      {"GET", "/nope", "", "", 404, "NOT_FOUND"},
      {"PATCH", "/api/v1/concerts", "", "", 405, "METHOD_NOT_ALLOWED"},
      {"POST", "/api/v1/queue/tokens", "", "", 400, "INVALID_REQUEST"},
      {"POST", "/api/v1/queue/tokens", "{\"userId\": \"7\"}", "", 400, "INVALID_REQUEST"},
      {"POST", "/api/v1/queue/tokens", "{\"userId\": 0}", "", 400, "INVALID_REQUEST"},
      {"POST", "/api/v1/queue/tokens", "[7]", "", 400, "INVALID_REQUEST"},
      {"GET", "/api/v1/queue/tokens/me", "", "", 401, "TOKEN_INVALID"},
      {"GET", "/api/v1/concerts", "", "Basic x", 401, "TOKEN_INVALID"},
      {"GET", "/api/v1/concerts/x/schedules", "", "Bearer t", 400, "INVALID_REQUEST"},
      {"GET", "/api/v1/concerts/0/schedules", "", "Bearer t", 400, "INVALID_REQUEST"},
      {"GET", "/api/v1/schedules/1/seats?all=maybe", "", "Bearer t", 400, "INVALID_REQUEST"},
      {"POST", "/api/v1/reservations", "{\"scheduleId\": 1}", "Bearer t", 400, "INVALID_REQUEST"},
      {"POST", "/api/v1/reservations", "{\"scheduleId\": 1, \"seatNo\": 4294967296}", "Bearer t",
       400, "INVALID_REQUEST"},
      {"GET", "/api/v1/reservations/-1", "", "Bearer t", 400, "INVALID_REQUEST"},
      {"POST", "/api/v1/payments", "{\"reservationId\": 1.5}", "Bearer t", 400, "INVALID_REQUEST"},
      {"GET", "/api/v1/users/%31/points", "", "", 400, "INVALID_REQUEST"},
      {"POST", "/api/v1/users/1/points/charge", "{\"amount\": 1.5}", "", 400, "INVALID_AMOUNT"},
      {"POST", "/api/v1/users/1/points/charge", "{\"amount\": -1}", "", 400, "INVALID_AMOUNT"},
      {"POST", "/api/v1/users/1/points/charge", "{\"amount\": \"1\"}", "", 400, "INVALID_REQUEST"},
      {"GET", "/api/v1/users/99999999999999999999/points/history", "", "", 400, "INVALID_REQUEST"},
  };
  for (const auto& c : cases) {
    auto p = parse_request(req(c.method, c.target, c.body, c.auth));
    SCOPED_TRACE(std::string(c.method) + " " + c.target + " " + c.body);
    EXPECT_FALSE(p.cmd);
    EXPECT_EQ(p.rejection.status, c.status);
    EXPECT_EQ(p.rejection.content_type, "application/problem+json");
    auto j = body_of(p.rejection);
    EXPECT_EQ(j["code"], c.code);
    EXPECT_EQ(j["status"], c.status);
  }
}

TEST(ParseRequest, TokenIsCheckedBeforeTheBody) {
  auto p = parse_request(req("POST", "/api/v1/reservations", "garbage"));
  EXPECT_EQ(p.rejection.status, 401u);
  EXPECT_EQ(p.rejection.header("WWW-Authenticate"), "Bearer");
  ASSERT_NE(p.route, nullptr);  // matched: metrics label the route, not "unmatched"
  EXPECT_EQ(p.route->id, route_id::hold);
}

TEST(ParseRequest, MethodNotAllowedCarriesAllowHeader) {
  auto p = parse_request(req("PUT", "/api/v1/queue/tokens/me"));
  EXPECT_EQ(p.rejection.status, 405u);
  EXPECT_EQ(p.rejection.header("Allow"), "GET, DELETE");
  EXPECT_EQ(p.route, nullptr);
}

TEST(ParseRequest, BadIdempotencyKeyIsInvalidRequest) {
  auto in = req("POST", "/api/v1/payments", R"({"reservationId": 9})", "Bearer tok");
  const std::string long_key(idempotency_key_chars_max + 1, 'k');
  in.idempotency_key = {long_key, 1};
  auto p = parse_request(in);
  EXPECT_FALSE(p.cmd);
  EXPECT_EQ(body_of(p.rejection)["code"], "INVALID_REQUEST");
}

}  // namespace
}  // namespace concert::http
