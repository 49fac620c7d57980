// The HTTP mode speaks exactly the contract of docs/http-api.md: the request each fan
// action becomes, and how responses (successes and problem+json errors) become outcomes.

#include <gtest/gtest.h>

#include "simulation/http_wire.hpp"

using namespace concert;
using namespace concert::sim;

namespace {

action act(op k) {
  action a;
  a.kind = k;
  return a;
}

}  // namespace

TEST(HttpWireTest, ActionsBecomeTheContractsRequests) {
  action pay = act(op::pay);
  pay.resv = 9;
  pay.key = "k-1";
  auto r = to_request(pay, 7, "tok");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/api/v1/payments");
  EXPECT_EQ(r.body, R"({"reservationId":9})");
  EXPECT_EQ(r.token, "tok");
  EXPECT_EQ(r.key, "k-1");

  action hold = act(op::hold);
  hold.schedule = 2;
  hold.seat = 17;
  r = to_request(hold, 7, "tok");
  EXPECT_EQ(r.target, "/api/v1/reservations");
  EXPECT_EQ(r.body, R"({"scheduleId":2,"seatNo":17})");

  action charge = act(op::charge);
  charge.amount = 50'000;
  r = to_request(charge, 7, "tok");
  EXPECT_EQ(r.target, "/api/v1/users/7/points/charge");
  EXPECT_EQ(r.body, R"({"amount":50000})");
  EXPECT_EQ(r.token, "") << "points need no token";

  EXPECT_EQ(to_request(act(op::issue), 7, "").body, R"({"userId":7})");
  EXPECT_EQ(to_request(act(op::poll), 7, "t").target, "/api/v1/queue/tokens/me");
  EXPECT_EQ(to_request(act(op::leave), 7, "t").method, "DELETE");
  action seats = act(op::seats);
  seats.schedule = 4;
  EXPECT_EQ(to_request(seats, 7, "t").target, "/api/v1/schedules/4/seats");
  action schedules = act(op::schedules);
  schedules.concert = 3;
  EXPECT_EQ(to_request(schedules, 7, "t").target, "/api/v1/concerts/3/schedules");
}

TEST(HttpWireTest, SuccessBodiesBecomeValues) {
  auto o =
      from_response(act(op::issue), 201,
                    R"({"token":"abc","userId":7,"status":"WAITING","position":12,)"
                    R"("etaSeconds":95,"nextPollSeconds":5,"expiresAt":"2026-12-01T10:01:00Z"})");
  ASSERT_FALSE(o.failed);
  EXPECT_EQ(o.c, code::created);
  EXPECT_EQ(o.token.token, "abc");
  EXPECT_FALSE(o.token.active);
  EXPECT_EQ(o.token.position, 12u);
  EXPECT_EQ(o.token.next_poll_seconds, 5);
  EXPECT_EQ(o.token.expires_at, 1'796'119'260'000'000);

  o = from_response(act(op::hold), 201,
                    R"({"id":5,"userId":7,"scheduleId":1,"seatNo":3,"price":150000,)"
                    R"("status":"HELD","expiresAt":"2026-12-01T10:05:00.250Z"})");
  ASSERT_FALSE(o.failed);
  EXPECT_EQ(o.resv.id, 5u);
  EXPECT_EQ(o.resv.expires_at, 1'796'119'500'250'000);

  o = from_response(act(op::leave), 204, "");
  EXPECT_FALSE(o.failed);
  EXPECT_EQ(o.c, code::ok);

  o = from_response(
      act(op::seats), 200,
      R"([{"seatNo":1,"price":10,"status":"AVAILABLE"},{"seatNo":2,"price":10,"status":"SOLD"}])");
  ASSERT_EQ(o.seats.size(), 2u);
  EXPECT_EQ(o.seats[1].status, seat_status::sold);
}

TEST(HttpWireTest, ProblemsBecomeCodesAndGarbageFails) {
  auto o = from_response(act(op::hold), 409,
                         R"({"type":"x","title":"t","status":409,"code":"SEAT_UNAVAILABLE"})");
  EXPECT_FALSE(o.failed);
  EXPECT_EQ(o.c, code::seat_unavailable);
  o = from_response(act(op::pay), 410, R"({"status":410,"code":"RESERVATION_EXPIRED"})");
  EXPECT_EQ(o.c, code::reservation_expired);
  EXPECT_TRUE(from_response(act(op::pay), 500, "oops").failed);
  EXPECT_TRUE(from_response(act(op::pay), 409, R"({"code":"NOT_A_CODE"})").failed);
  EXPECT_TRUE(from_response(act(op::hold), 201, R"({"id":"five"})").failed);
}

TEST(HttpWireTest, Rfc3339Times) {
  time_us t = 0;
  ASSERT_TRUE(parse_rfc3339("1970-01-01T00:00:01Z", t));
  EXPECT_EQ(t, 1'000'000);
  ASSERT_TRUE(parse_rfc3339("2026-12-24T19:00:00.5+00:00", t));
  EXPECT_EQ(t, seconds_us(1'798'138'800) + 500'000);
  EXPECT_FALSE(parse_rfc3339("2026-12-24 19:00:00Z", t));
  EXPECT_FALSE(parse_rfc3339("2026-12-24T19:00:00+09:00", t)) << "the contract is UTC";
  EXPECT_FALSE(parse_rfc3339("2026-13-24T19:00:00Z", t));
}
