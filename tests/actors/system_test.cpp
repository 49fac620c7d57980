// The whole journey through gate, catalog, seat blocks and wallets together, on the
// deterministic scheduler: what a fan relies on from token to sold seat.

#include <gtest/gtest.h>

#include <algorithm>

#include "support/deterministic_system.hpp"

using namespace concert;
using namespace std::chrono_literals;
using concert::testing::deterministic_system;

namespace {

system_settings one_at_a_time() {
  system_settings s;
  s.gate.max_active = 1;
  return s;
}

seat_status status_of(const std::vector<seat_info>& seats, seat_no n) {
  auto i =
      std::find_if(seats.begin(), seats.end(), [&](const seat_info& s) { return s.seat == n; });
  EXPECT_NE(i, seats.end());
  return i == seats.end() ? seat_status::available : i->status;
}

}  // namespace

TEST(SystemTest, PaymentSellsSeatEndsTokenAndAdmitsNextFan) {
  deterministic_system ds{one_at_a_time()};
  auto& h = ds.handles();
  auto [c1, t1] = ds.ask<code, token_view>(h.gate, issue_atom::value, user_id{1});
  auto [c2, t2] = ds.ask<code, token_view>(h.gate, issue_atom::value, user_id{2});
  ASSERT_EQ(c1, code::created);
  ASSERT_EQ(c2, code::created);
  auto [p1, v1] = ds.ask<code, token_view>(h.gate, poll_atom::value, t1.token);
  auto [p2, v2] = ds.ask<code, token_view>(h.gate, poll_atom::value, t2.token);
  ASSERT_EQ(p1, code::ok);
  EXPECT_TRUE(v1.active);
  EXPECT_FALSE(v2.active);
  EXPECT_EQ(v2.position, 1u);

  auto [cc, who] = ds.ask<code, user_id>(h.gate, check_atom::value, t1.token);
  ASSERT_EQ(cc, code::ok);
  EXPECT_EQ(who, 1u);
  auto [concerts] = ds.ask<std::vector<concert_info>>(h.catalog, concerts_atom::value);
  ASSERT_GE(concerts.size(), 2u);
  auto [sc, schedules] =
      ds.ask<code, std::vector<schedule_info>>(h.catalog, schedules_atom::value, concerts[0].id);
  ASSERT_EQ(sc, code::ok);
  ASSERT_GE(schedules.size(), 2u);
  auto sched = schedules[0].id;
  EXPECT_EQ(schedules[0].total_seats, 50u);
  EXPECT_EQ(schedules[0].available_seats, 50u);

  auto [hc, r] =
      ds.ask<code, reservation>(h.wallets, hold_atom::value, user_id{1}, sched, seat_no{17});
  ASSERT_EQ(hc, code::created);
  EXPECT_EQ(r.status, reservation_status::held);
  EXPECT_EQ(r.expires_at, ds.now() + seconds_us(300));
  auto [chc, bal] = ds.ask<code, points>(h.wallets, charge_atom::value, user_id{1}, r.price);
  ASSERT_EQ(chc, code::ok);
  EXPECT_EQ(bal, r.price);

  auto [pc, pay] =
      ds.ask<code, payment>(h.wallets, pay_atom::value, user_id{1}, r.id, std::string{});
  ASSERT_EQ(pc, code::created);
  EXPECT_EQ(pay.amount, r.price);
  EXPECT_EQ(pay.balance, 0);  // a balance exactly equal to the price pays

  auto [lc, seats] =
      ds.ask<code, std::vector<seat_info>>(h.catalog, seats_atom::value, sched, true);
  ASSERT_EQ(lc, code::ok);
  EXPECT_EQ(status_of(seats, 17), seat_status::sold);
  auto [rc, rv] = ds.ask<code, reservation>(h.wallets, resv_atom::value, user_id{1}, r.id);
  ASSERT_EQ(rc, code::ok);
  EXPECT_EQ(rv.status, reservation_status::confirmed);

  auto [e1, ev1] = ds.ask<code, token_view>(h.gate, poll_atom::value, t1.token);
  EXPECT_EQ(e1, code::token_expired);
  auto [a2, av2] = ds.ask<code, token_view>(h.gate, poll_atom::value, t2.token);
  ASSERT_EQ(a2, code::ok);
  EXPECT_TRUE(av2.active) << "the next fan is admitted as soon as the payment completes";

  auto [hist] = ds.ask<std::vector<history_entry>>(h.wallets, history_atom::value, user_id{1});
  ASSERT_EQ(hist.size(), 2u);
  EXPECT_EQ(hist[0].kind, history_kind::payment);
  EXPECT_EQ(hist[1].kind, history_kind::charge);
}

TEST(SystemTest, UnpaidHoldLapsesAndPaymentThenFailsWithoutCharging) {
  deterministic_system ds{system_settings{}};
  auto& h = ds.handles();
  auto [hc, r] = ds.ask<code, reservation>(h.wallets, hold_atom::value, user_id{5}, schedule_id{1},
                                           seat_no{3});
  ASSERT_EQ(hc, code::created);
  ds.ask<code, points>(h.wallets, charge_atom::value, user_id{5}, r.price);
  ds.advance(299s);
  auto [l1, s1] =
      ds.ask<code, std::vector<seat_info>>(h.catalog, seats_atom::value, schedule_id{1}, true);
  EXPECT_EQ(status_of(s1, 3), seat_status::held);
  ds.advance(1s);
  auto [l2, s2] =
      ds.ask<code, std::vector<seat_info>>(h.catalog, seats_atom::value, schedule_id{1}, true);
  EXPECT_EQ(status_of(s2, 3), seat_status::available);
  auto [pc, pay] =
      ds.ask<code, payment>(h.wallets, pay_atom::value, user_id{5}, r.id, std::string{});
  EXPECT_EQ(pc, code::reservation_expired);
  auto [bal] = ds.ask<points>(h.wallets, balance_atom::value, user_id{5});
  EXPECT_EQ(bal, r.price);
  // Someone else can now hold the lapsed seat.
  auto [hc2, r2] = ds.ask<code, reservation>(h.wallets, hold_atom::value, user_id{6},
                                             schedule_id{1}, seat_no{3});
  EXPECT_EQ(hc2, code::created);
}

TEST(SystemTest, InsufficientPointsLeavesTheHoldAsItWas) {
  deterministic_system ds{system_settings{}};
  auto& h = ds.handles();
  auto [hc, r] = ds.ask<code, reservation>(h.wallets, hold_atom::value, user_id{8}, schedule_id{2},
                                           seat_no{1});
  ASSERT_EQ(hc, code::created);
  ds.ask<code, points>(h.wallets, charge_atom::value, user_id{8}, r.price - 1);
  ds.advance(10s);
  auto [pc, pay] =
      ds.ask<code, payment>(h.wallets, pay_atom::value, user_id{8}, r.id, std::string{});
  EXPECT_EQ(pc, code::insufficient_points);
  auto [bal] = ds.ask<points>(h.wallets, balance_atom::value, user_id{8});
  EXPECT_EQ(bal, r.price - 1);
  auto [rc, rv] = ds.ask<code, reservation>(h.wallets, resv_atom::value, user_id{8}, r.id);
  EXPECT_EQ(rv.status, reservation_status::held);
  EXPECT_EQ(rv.expires_at, r.expires_at) << "a refused payment must not extend the hold";
  ds.ask<code, points>(h.wallets, charge_atom::value, user_id{8}, points{1});
  auto [pc2, pay2] =
      ds.ask<code, payment>(h.wallets, pay_atom::value, user_id{8}, r.id, std::string{"k1"});
  EXPECT_EQ(pc2, code::created);
  auto [pc3, pay3] =
      ds.ask<code, payment>(h.wallets, pay_atom::value, user_id{8}, r.id, std::string{"k1"});
  EXPECT_EQ(pc3, code::created);
  EXPECT_EQ(pay3.id, pay2.id);
  auto [bal2] = ds.ask<points>(h.wallets, balance_atom::value, user_id{8});
  EXPECT_EQ(bal2, 0);
}
