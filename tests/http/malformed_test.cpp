// A catalogue of malformed requests against a real node: each is answered with the
// contract's 4xx and problem code, none crashes the server, and none changes state
// (balances, histories, seats and the queue are compared before and after).
#include <gtest/gtest.h>

#include "api_fixture.hpp"

namespace concert::http::testing {
namespace {

struct bad_request {
  const char* name;
  std::string raw;  // the bytes on the wire
  unsigned status;
  const char* code;
};

std::string req(const std::string& method, const std::string& target, const std::string& body = {},
                const std::string& headers = {}) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + headers;
  if (!body.empty() || method == "POST")
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

std::vector<bad_request> catalogue(const std::string& token) {
  const std::string auth = "Authorization: Bearer " + token + "\r\n";
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 40; ++i) deep += "}";
  const std::string big(70 * 1024, ' ');
  return {
      {"unknown path", req("GET", "/api/v1/nope"), 404, "NOT_FOUND"},
      {"trailing slash", req("GET", "/api/v1/users/5/points/"), 404, "NOT_FOUND"},
      {"wrong method on token", req("PUT", "/api/v1/queue/tokens/me", {}, auth), 405,
       "METHOD_NOT_ALLOWED"},
      {"wrong method on points", req("DELETE", "/api/v1/users/5/points"), 405,
       "METHOD_NOT_ALLOWED"},
      {"wrong method on charge", req("GET", "/api/v1/users/5/points/charge"), 405,
       "METHOD_NOT_ALLOWED"},
      {"empty token body", req("POST", "/api/v1/queue/tokens", ""), 400, "INVALID_REQUEST"},
      {"truncated JSON", req("POST", "/api/v1/queue/tokens", "{\"userId\": 5"), 400,
       "INVALID_REQUEST"},
      {"array body", req("POST", "/api/v1/queue/tokens", "[5]"), 400, "INVALID_REQUEST"},
      {"string userId", req("POST", "/api/v1/queue/tokens", R"({"userId": "5"})"), 400,
       "INVALID_REQUEST"},
      {"fractional userId", req("POST", "/api/v1/queue/tokens", R"({"userId": 5.5})"), 400,
       "INVALID_REQUEST"},
      {"negative userId", req("POST", "/api/v1/queue/tokens", R"({"userId": -5})"), 400,
       "INVALID_REQUEST"},
      {"duplicate key", req("POST", "/api/v1/queue/tokens", R"({"userId": 5, "userId": 6})"), 400,
       "INVALID_REQUEST"},
      {"deep nesting", req("POST", "/api/v1/queue/tokens", deep), 400, "INVALID_REQUEST"},
      {"NUL in body", req("POST", "/api/v1/queue/tokens", std::string("{\"userId\": 5}\0", 14)),
       400, "INVALID_REQUEST"},
      {"zero amount", req("POST", "/api/v1/users/5/points/charge", R"({"amount": 0})"), 400,
       "INVALID_AMOUNT"},
      {"negative amount", req("POST", "/api/v1/users/5/points/charge", R"({"amount": -100})"), 400,
       "INVALID_AMOUNT"},
      {"fractional amount", req("POST", "/api/v1/users/5/points/charge", R"({"amount": 1.5})"), 400,
       "INVALID_AMOUNT"},
      {"exponent amount", req("POST", "/api/v1/users/5/points/charge", R"({"amount": 1e2})"), 400,
       "INVALID_AMOUNT"},
      {"huge amount",
       req("POST", "/api/v1/users/5/points/charge", R"({"amount": 99999999999999999999})"), 400,
       "INVALID_AMOUNT"},
      {"amount past max balance",
       req("POST", "/api/v1/users/5/points/charge", R"({"amount": 99999999})"), 400,
       "INVALID_AMOUNT"},
      {"string amount", req("POST", "/api/v1/users/5/points/charge", R"({"amount": "100"})"), 400,
       "INVALID_REQUEST"},
      {"missing amount", req("POST", "/api/v1/users/5/points/charge", R"({"amt": 100})"), 400,
       "INVALID_REQUEST"},
      {"invalid UTF-8",
       req("POST", "/api/v1/users/5/points/charge", "{\"amount\": 5, \"x\": \"\xff\"}"), 400,
       "INVALID_REQUEST"},
      {"user 0", req("POST", "/api/v1/users/0/points/charge", R"({"amount": 5})"), 400,
       "INVALID_REQUEST"},
      {"plus sign id", req("GET", "/api/v1/users/+5/points"), 400, "INVALID_REQUEST"},
      {"percent-encoded id", req("GET", "/api/v1/users/%35/points"), 400, "INVALID_REQUEST"},
      {"leading zero id", req("GET", "/api/v1/users/05/points/history"), 400, "INVALID_REQUEST"},
      {"overflowing id", req("GET", "/api/v1/users/18446744073709551621/points"), 400,
       "INVALID_REQUEST"},
      {"no token", req("GET", "/api/v1/concerts"), 401, "TOKEN_INVALID"},
      {"basic auth", req("GET", "/api/v1/concerts", {}, "Authorization: Basic YTpi\r\n"), 401,
       "TOKEN_INVALID"},
      {"garbled bearer", req("GET", "/api/v1/concerts", {}, "Authorization: Bearer a!b\r\n"), 401,
       "TOKEN_INVALID"},
      {"forged token",
       req("GET", "/api/v1/concerts", {}, "Authorization: Bearer " + std::string(43, 'B') + "\r\n"),
       401, "TOKEN_INVALID"},
      {"two tokens", req("GET", "/api/v1/concerts", {}, auth + auth), 401, "TOKEN_INVALID"},
      {"hold without seatNo", req("POST", "/api/v1/reservations", R"({"scheduleId": 1})", auth),
       400, "INVALID_REQUEST"},
      {"hold with string seat",
       req("POST", "/api/v1/reservations", R"({"scheduleId": 1, "seatNo": "3"})", auth), 400,
       "INVALID_REQUEST"},
      {"hold seat 0",
       req("POST", "/api/v1/reservations", R"({"scheduleId": 1, "seatNo": 0})", auth), 400,
       "INVALID_REQUEST"},
      {"hold seat past 32 bits",
       req("POST", "/api/v1/reservations", R"({"scheduleId": 1, "seatNo": 4294967297})", auth), 400,
       "INVALID_REQUEST"},
      {"bool reservationId", req("POST", "/api/v1/payments", R"({"reservationId": true})", auth),
       400, "INVALID_REQUEST"},
      {"long idempotency key",
       req("POST", "/api/v1/payments", R"({"reservationId": 1})",
           auth + "Idempotency-Key: " + std::string(200, 'k') + "\r\n"),
       400, "INVALID_REQUEST"},
      {"bad all flag", req("GET", "/api/v1/schedules/1/seats?all=yes", {}, auth), 400,
       "INVALID_REQUEST"},
      {"bad schedule id", req("GET", "/api/v1/schedules/abc/seats", {}, auth), 400,
       "INVALID_REQUEST"},
      {"reservation id 0", req("GET", "/api/v1/reservations/0", {}, auth), 400, "INVALID_REQUEST"},
      {"body over 64 KiB", req("POST", "/api/v1/users/5/points/charge", big), 413,
       "PAYLOAD_TOO_LARGE"},
      {"header over limit",
       req("GET", "/healthz", {}, "X-Big: " + std::string(20000, 'x') + "\r\n"), 431,
       "HEADERS_TOO_LARGE"},
      {"not HTTP", "HELLO\r\n\r\n", 400, "INVALID_REQUEST"},
      {"bad version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400, "INVALID_REQUEST"},
      {"bad content length", "POST /api/v1/queue/tokens HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
       400, "INVALID_REQUEST"},
      {"bad chunk",
       "POST /api/v1/queue/tokens HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
       "INVALID_REQUEST"},
      {"space in target", "GET /api/v1/users/5 /points HTTP/1.1\r\n\r\n", 400, "INVALID_REQUEST"},
  };
}

class Malformed : public ApiTest {
 protected:
  /// What a refused request must not change.
  json snapshot(const std::string& token) {
    json s;
    s["balance5"] = balance(5);
    s["history5"] = get("/api/v1/users/5/points/history").json();
    s["seats1"] = all_seats(1, token);
    s["schedules1"] = get("/api/v1/concerts/1/schedules", token).json();
    auto m = get("/metrics").body;
    for (const char* gauge : {"concert_queue_waiting ", "concert_queue_active ",
                              "concert_queue_issued_total ", "concert_holds_placed_total "}) {
      auto at = m.find(std::string("\n") + gauge);
      s[gauge] = at == std::string::npos ? "" : m.substr(at, m.find('\n', at + 1) - at);
    }
    return s;
  }
};

TEST_F(Malformed, EveryMalformedRequestIsRefusedWithoutStateChange) {
  auto token = token_for(9);
  charge(5, 1000);
  ASSERT_EQ(post("/api/v1/reservations", {{"scheduleId", 1}, {"seatNo", 2}}, token).status, 201u);
  const auto before = snapshot(token);
  const auto cases = catalogue(token);
  ASSERT_GE(cases.size(), 30u);
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.name);
    client own(port());
    client_response r;
    ASSERT_NO_THROW(r = own.raw(bad.raw));
    expect_problem(r, bad.status, bad.code);
  }
  EXPECT_EQ(get("/healthz").status, 200u);  // still serving
  EXPECT_EQ(snapshot(token), before);
}

}  // namespace
}  // namespace concert::http::testing
