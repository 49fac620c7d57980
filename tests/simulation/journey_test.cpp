// The fan's state machine alone, fed with hand-made replies: the journey a simulated fan
// takes must be the one docs/simulation.md describes (charge, queue, browse, hold, pay;
// top up when refused; abandon, give up, rejoin), or the simulation measures the wrong
// crowd.

#include <gtest/gtest.h>

#include "simulation/journey.hpp"

using namespace concert;
using namespace concert::sim;

namespace {

constexpr time_us epoch = 1'000'000'000'000;

journey_rules test_rules() {
  journey_rules r;
  r.think_mean = seconds_us(2);
  r.epoch_at_start = epoch;
  return r;
}

fan_plan buyer(points budget = 200'000) {
  fan_plan p;
  p.user = 42;
  p.arrival = seconds_us(3);
  p.budget = budget;
  p.lacks_points = budget == 0;
  p.stream = 99;
  return p;
}

outcome with_code(code c) {
  outcome o;
  o.c = c;
  return o;
}

outcome token(bool active, int64_t next_poll = 5) {
  outcome o = with_code(code::created);
  o.token.token = "tok";
  o.token.user = 42;
  o.token.active = active;
  o.token.position = active ? 0 : 10;
  o.token.next_poll_seconds = next_poll;
  return o;
}

outcome seats(std::initializer_list<seat_no> free) {
  outcome o;
  for (auto s : free) o.seats.push_back({s, 100'000, seat_status::available});
  return o;
}

outcome held(reservation_id id, time_us at, points price = 100'000) {
  outcome o = with_code(code::created);
  o.resv.id = id;
  o.resv.user = 42;
  o.resv.price = price;
  o.resv.expires_at = epoch + at + seconds_us(300);
  return o;
}

/// Feeds `o` as the reply to `a` at the action's own time; returns the next action.
action reply(fan_journey& j, const action& a, outcome o) { return j.on_reply(a, o, a.at); }

/// Drives a fresh journey from its start to its first guarded step (admitted at once).
action admitted_until_hold(fan_journey& j) {
  action a = j.start();
  if (a.kind == op::charge) a = reply(j, a, with_code(code::ok));
  EXPECT_EQ(a.kind, op::issue);
  a = reply(j, a, token(true));
  EXPECT_EQ(a.kind, op::concerts);
  outcome c;
  c.concerts.push_back({1, "c", "p", "v"});
  a = reply(j, a, c);
  EXPECT_EQ(a.kind, op::schedules);
  EXPECT_EQ(a.concert, 1u);
  outcome s;
  s.schedules.push_back({7, 1, 0, 50, 3});
  a = reply(j, a, s);
  EXPECT_EQ(a.kind, op::seats);
  EXPECT_EQ(a.schedule, 7u);
  a = reply(j, a, seats({1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(a.kind, op::hold);
  return a;
}

}  // namespace

TEST(JourneyTest, BuyerChargesQueuesBrowsesHoldsAndPays) {
  auto rules = test_rules();
  fan_journey j{buyer(), rules};
  action a = j.start();
  ASSERT_EQ(a.kind, op::charge);
  EXPECT_EQ(a.at, seconds_us(3)) << "the first step happens at the fan's arrival";
  EXPECT_EQ(a.amount, 200'000);
  a = admitted_until_hold(j);
  EXPECT_EQ(a.schedule, 7u);
  EXPECT_GE(a.seat, 1u);
  EXPECT_LE(a.seat, 4u) << "best seats first: one of the first best_window seats";
  a = reply(j, a, held(9, a.at));
  ASSERT_EQ(a.kind, op::pay);
  EXPECT_EQ(a.resv, 9u);
  EXPECT_FALSE(a.key.empty()) << "payments carry an idempotency key";
  outcome paid = with_code(code::created);
  paid.pay.id = 9;
  a = reply(j, a, paid);
  EXPECT_EQ(a.kind, op::done) << "the payment ended the token: nothing left to free";
  EXPECT_TRUE(j.finished());
  EXPECT_EQ(j.how(), ending::bought);
  EXPECT_EQ(j.bought(), 1u);
}

TEST(JourneyTest, RefusedForPointsTheFanChargesThePriceAndPaysWithANewKey) {
  auto rules = test_rules();
  fan_journey j{buyer(0), rules};
  action a = j.start();
  EXPECT_EQ(a.kind, op::issue) << "a fan without points does not pre-charge";
  a = admitted_until_hold(j);
  a = reply(j, a, held(5, a.at, 60'000));
  ASSERT_EQ(a.kind, op::pay);
  const std::string first_key = a.key;
  a = reply(j, a, with_code(code::insufficient_points));
  ASSERT_EQ(a.kind, op::charge);
  EXPECT_EQ(a.amount, 60'000);
  a = reply(j, a, with_code(code::ok));
  ASSERT_EQ(a.kind, op::pay);
  EXPECT_EQ(a.resv, 5u);
  EXPECT_NE(a.key, first_key) << "the old key would replay the refusal";
}

TEST(JourneyTest, WaitingFanPollsWhenToldThenAbandonsAfterItsPatience) {
  auto rules = test_rules();
  fan_plan p = buyer();
  p.patience = seconds_us(30);
  p.leaves_explicitly = true;
  fan_journey j{p, rules};
  action a = reply(j, j.start(), with_code(code::ok));
  const time_us issued = a.at;
  a = reply(j, a, token(false, 10));
  ASSERT_EQ(a.kind, op::poll);
  EXPECT_GE(a.at, issued + seconds_us(10));
  EXPECT_LT(a.at, issued + seconds_us(11)) << "polls when the gate says, give or take jitter";
  a = reply(j, a, token(false, 10));
  ASSERT_EQ(a.kind, op::poll);
  a = reply(j, a, token(false, 10));
  ASSERT_EQ(a.kind, op::leave) << "the next poll would pass the fan's patience";
  EXPECT_EQ(a.at, issued + seconds_us(30));
  a = reply(j, a, with_code(code::ok));
  EXPECT_EQ(a.kind, op::done);
  EXPECT_EQ(j.how(), ending::abandoned);
}

TEST(JourneyTest, SoldOutFanLeavesToFreeItsSlot) {
  auto rules = test_rules();
  fan_journey j{buyer(), rules};
  action a = reply(j, j.start(), with_code(code::ok));
  a = reply(j, a, token(true));
  outcome c;
  c.concerts.push_back({1, "c", "p", "v"});
  a = reply(j, a, c);
  outcome s;
  s.schedules.push_back({7, 1, 0, 50, 0});  // nothing left
  a = reply(j, a, s);
  ASSERT_EQ(a.kind, op::leave);
  a = reply(j, a, with_code(code::ok));
  EXPECT_EQ(a.kind, op::done);
  EXPECT_EQ(j.how(), ending::sold_out);
}

TEST(JourneyTest, ExpiredTokenSendsTheFanBackToTheQueueUntilItsVisitsAreUsed) {
  auto rules = test_rules();
  rules.max_visits = 2;
  fan_journey j{buyer(), rules};
  action a = admitted_until_hold(j);
  a = reply(j, a, with_code(code::token_expired));
  ASSERT_EQ(a.kind, op::issue) << "the second visit";
  a = reply(j, a, token(true));
  ASSERT_EQ(a.kind, op::concerts);
  a = reply(j, a, with_code(code::token_expired));
  EXPECT_EQ(a.kind, op::done) << "two visits used; the token is gone, nothing to leave";
  EXPECT_EQ(j.how(), ending::gave_up);
}

TEST(JourneyTest, ConflictsTryOtherSeatsThenRefreshTheListing) {
  auto rules = test_rules();
  rules.conflict_limit = 2;
  fan_journey j{buyer(), rules};
  action a = admitted_until_hold(j);
  const seat_no first = a.seat;
  a = reply(j, a, with_code(code::seat_unavailable));
  ASSERT_EQ(a.kind, op::hold);
  EXPECT_NE(a.seat, first) << "a seat that was taken is not tried again";
  a = reply(j, a, with_code(code::seat_unavailable));
  ASSERT_EQ(a.kind, op::seats) << "after conflict_limit conflicts the listing is stale";
  EXPECT_EQ(a.schedule, 7u);
}

TEST(JourneyTest, NeverPayingFanWalksAwayHoldingItsSeat) {
  auto rules = test_rules();
  fan_plan p = buyer();
  p.never_pays = true;
  fan_journey j{p, rules};
  action a = admitted_until_hold(j);
  a = reply(j, a, held(3, a.at));
  EXPECT_EQ(a.kind, op::done) << "no leave: the slot stays taken until the token's TTL";
  EXPECT_EQ(j.how(), ending::never_paid);
}

TEST(JourneyTest, DoubleClickingFanSendsItsPaymentTwiceWithOneKey) {
  auto rules = test_rules();
  fan_plan p = buyer();
  p.duplicate_pay = true;
  fan_journey j{p, rules};
  action a = admitted_until_hold(j);
  a = reply(j, a, held(3, a.at));
  ASSERT_EQ(a.kind, op::pay);
  EXPECT_TRUE(a.twice);
}

TEST(JourneyTest, LapsedHoldIsNotPaidButReplaced) {
  auto rules = test_rules();
  fan_journey j{buyer(), rules};
  action a = admitted_until_hold(j);
  outcome h = held(3, a.at);
  h.resv.expires_at = epoch + a.at;  // lapses the moment it is made
  a = reply(j, a, h);
  EXPECT_EQ(a.kind, op::hold) << "a fan does not pay a hold it knows has lapsed";
}

TEST(JourneyTest, SameStreamSameDecisions) {
  auto rules = test_rules();
  fan_journey a{buyer(), rules}, b{buyer(), rules};
  action x = admitted_until_hold(a), y = admitted_until_hold(b);
  EXPECT_EQ(x.seat, y.seat);
  EXPECT_EQ(x.at, y.at);
  fan_plan other = buyer();
  other.stream = 100;
  fan_journey c{other, rules};
  action z = admitted_until_hold(c);
  EXPECT_NE(z.at, x.at) << "another stream thinks for other times";
}

TEST(JourneyTest, FanBackForLapsedHoldsBrowsesAgain) {
  auto rules = test_rules();
  fan_plan p = buyer();
  p.seats_wanted = 2;
  fan_journey j{p, rules};
  action a = admitted_until_hold(j);
  a = reply(j, a, held(3, a.at));
  ASSERT_EQ(a.kind, op::hold) << "wants a second seat";
  a = reply(j, a, held(4, a.at));
  ASSERT_EQ(a.kind, op::pay);
  outcome paid = with_code(code::created);
  a = reply(j, a, paid);
  ASSERT_EQ(a.kind, op::issue) << "the token ended with a seat still wanted: queue again";
  a.at += seconds_us(400);  // a long line: hold 4 lapses meanwhile
  a = reply(j, a, token(true));
  EXPECT_EQ(a.kind, op::concerts) << "nothing live to pay: look for another seat";
}
