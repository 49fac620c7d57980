// The wallet core on its own: every charge, debit and payment rule and refusal, the
// conservation of points under a seeded random workload, and the byte encoding
// (round trip, and garbage refused without undefined behaviour).

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "actors/rng.hpp"
#include "actors/wallet.hpp"

using namespace concert;

namespace {

constexpr points max_balance = 100'000'000;
constexpr time_us t0 = seconds_us(1'800'000'000);
constexpr user_id alice = 7;

reservation held_seat(reservation_id id, points price, time_us expires_at, user_id u = alice) {
  return reservation{id,
                     u,
                     /*schedule*/ 3,
                     /*seat*/ static_cast<seat_no>(id),
                     price,
                     reservation_status::held,
                     expires_at};
}

/// A wallet with `balance` points and one reservation (id 1) of `price`, expiring at t0+300s.
wallet funded(points balance, points price) {
  wallet w{alice};
  if (balance > 0) {
    EXPECT_EQ(w.charge(balance, t0, max_balance), code::ok);
  }
  w.add_reservation(held_seat(1, price, t0 + seconds_us(300)));
  return w;
}

void expect_conserved(const wallet& w) {
  EXPECT_GE(w.balance(), 0);
  EXPECT_EQ(w.charged_total(), w.balance() + w.spent_total());
}

}  // namespace

TEST(WalletTest, NewWalletIsEmptyWithZeroBalance) {
  wallet w{alice};
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.balance(), 0);
  EXPECT_TRUE(w.history().empty());
  EXPECT_EQ(w.user(), alice);
}

TEST(WalletTest, ChargeAddsPointsAndRecordsHistory) {
  wallet w{alice};
  EXPECT_EQ(w.charge(500, t0, max_balance), code::ok);
  EXPECT_EQ(w.charge(250, t0 + 1, max_balance), code::ok);
  EXPECT_EQ(w.balance(), 750);
  EXPECT_FALSE(w.empty());
  auto h = w.history();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].kind, history_kind::charge);  // newest first
  EXPECT_EQ(h[0].amount, 250);
  EXPECT_EQ(h[0].balance, 750);
  EXPECT_EQ(h[0].at, t0 + 1);
  EXPECT_EQ(h[1].amount, 500);
  EXPECT_EQ(h[1].balance, 500);
  expect_conserved(w);
}

TEST(WalletTest, ChargeRejectsZeroAndNegativeAmounts) {
  wallet w{alice};
  EXPECT_EQ(w.charge(0, t0, max_balance), code::invalid_amount);
  EXPECT_EQ(w.charge(-5, t0, max_balance), code::invalid_amount);
  EXPECT_EQ(w.charge(std::numeric_limits<points>::min(), t0, max_balance), code::invalid_amount);
  EXPECT_EQ(w.balance(), 0);
  EXPECT_TRUE(w.history().empty());
  EXPECT_TRUE(w.empty());
}

TEST(WalletTest, ChargeUpToTheMaximumPassesAndBeyondIsRefused) {
  wallet w{alice};
  EXPECT_EQ(w.charge(max_balance - 10, t0, max_balance), code::ok);
  EXPECT_EQ(w.charge(11, t0, max_balance), code::invalid_amount);
  EXPECT_EQ(w.balance(), max_balance - 10);
  EXPECT_EQ(w.charge(10, t0, max_balance), code::ok);
  EXPECT_EQ(w.balance(), max_balance);
  EXPECT_EQ(w.charge(1, t0, max_balance), code::invalid_amount);
  EXPECT_EQ(w.history().size(), 2u);
}

TEST(WalletTest, HugeChargeIsRefusedWithoutOverflow) {
  wallet w{alice};
  ASSERT_EQ(w.charge(5, t0, max_balance), code::ok);
  constexpr auto huge = std::numeric_limits<points>::max();
  EXPECT_EQ(w.charge(huge, t0, max_balance), code::invalid_amount);
  EXPECT_EQ(w.charge(huge, t0, huge), code::invalid_amount);  // 5 + huge would wrap
  EXPECT_EQ(w.charge(huge - 5, t0, huge), code::ok);          // lands exactly on the max
  EXPECT_EQ(w.balance(), huge);
}

TEST(WalletTest, BalanceExactlyEqualToPricePays) {
  auto w = funded(1000, 1000);
  auto out = w.debit(1, t0 + 10);
  ASSERT_EQ(out.result, code::ok);
  EXPECT_EQ(w.balance(), 0);
  EXPECT_EQ(out.paid.amount, 1000);
  EXPECT_EQ(out.paid.balance, 0);
  EXPECT_EQ(out.paid.id, 1u);
  EXPECT_EQ(out.paid.reservation, 1u);
  EXPECT_EQ(out.paid.user, alice);
  EXPECT_EQ(out.paid.paid_at, t0 + 10);
  expect_conserved(w);
}

TEST(WalletTest, InsufficientPointsChangesNothing) {
  auto w = funded(999, 1000);
  auto before = w.encode();
  EXPECT_EQ(w.debit(1, t0).result, code::insufficient_points);
  EXPECT_EQ(w.balance(), 999);
  EXPECT_EQ(w.encode(), before);
}

TEST(WalletTest, KeyedDebitTwiceChargesOnce) {
  auto w = funded(5000, 1000);
  auto first = w.debit(1, t0 + 1);
  auto second = w.debit(1, t0 + 2);
  ASSERT_EQ(first.result, code::ok);
  ASSERT_EQ(second.result, code::ok);
  EXPECT_EQ(w.balance(), 4000);
  EXPECT_EQ(second.paid.balance, first.paid.balance);
  EXPECT_EQ(second.paid.paid_at, first.paid.paid_at);
  EXPECT_EQ(w.spent_total(), 1000);
  EXPECT_EQ(w.history().size(), 2u);  // one charge, one payment
}

TEST(WalletTest, DebitOfUnknownReservationIsNotFound) {
  auto w = funded(5000, 1000);
  EXPECT_EQ(w.debit(99, t0).result, code::reservation_not_found);
  EXPECT_EQ(w.balance(), 5000);
}

TEST(WalletTest, LiveHoldsAreUnpaidAndBeforeTheirDeadline) {
  wallet w{alice};
  ASSERT_EQ(w.charge(10'000, t0, max_balance), code::ok);
  w.add_reservation(held_seat(1, 100, t0 + 100));
  w.add_reservation(held_seat(2, 100, t0 + 200));
  w.add_reservation(held_seat(3, 100, t0 + 300));
  EXPECT_EQ(w.live_holds(t0), 3u);
  EXPECT_EQ(w.live_holds(t0 + 99), 3u);
  EXPECT_EQ(w.live_holds(t0 + 100), 2u);  // expires exactly at its deadline
  ASSERT_EQ(w.debit(3, t0 + 1).result, code::ok);
  EXPECT_EQ(w.live_holds(t0 + 100), 1u);
  EXPECT_EQ(w.live_holds(t0 + 200), 0u);
}

TEST(WalletTest, ViewShowsHeldExpiredAndConfirmed) {
  auto w = funded(5000, 1000);
  auto deadline = t0 + seconds_us(300);
  auto v = w.view(1, deadline - 1);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, reservation_status::held);
  EXPECT_EQ(v->user, alice);
  EXPECT_EQ(v->price, 1000);
  EXPECT_EQ(v->expires_at, deadline);
  EXPECT_EQ(w.view(1, deadline)->status, reservation_status::expired);
  EXPECT_FALSE(w.view(2, t0));
  ASSERT_EQ(w.begin_pay(1, "", t0).step, pay_step::lock);
  // While paying the seat's expiry is suspended: still HELD past the deadline.
  EXPECT_EQ(w.view(1, deadline + 1)->status, reservation_status::held);
  auto out = w.debit(1, t0);
  w.finish_pay(1, "", {code::created, out.paid});
  EXPECT_EQ(w.view(1, deadline + 1)->status, reservation_status::confirmed);
}

TEST(WalletTest, BeginPayRefusesUnknownExpiredAndPaid) {
  auto w = funded(5000, 1000);
  EXPECT_EQ(w.begin_pay(42, "k", t0).outcome.result, code::reservation_not_found);
  auto late = w.begin_pay(1, "", t0 + seconds_us(300));
  EXPECT_EQ(late.step, pay_step::reply);
  EXPECT_EQ(late.outcome.result, code::reservation_expired);
  ASSERT_EQ(w.begin_pay(1, "", t0).step, pay_step::lock);
  auto out = w.debit(1, t0);
  w.finish_pay(1, "", {code::created, out.paid});
  auto again = w.begin_pay(1, "", t0);
  EXPECT_EQ(again.step, pay_step::reply);
  EXPECT_EQ(again.outcome.result, code::reservation_not_payable);
  EXPECT_EQ(w.balance(), 4000);
}

TEST(WalletTest, SameKeyReturnsTheFirstResult) {
  auto w = funded(5000, 1000);
  ASSERT_EQ(w.begin_pay(1, "key-1", t0).step, pay_step::lock);
  auto out = w.debit(1, t0 + 5);
  w.finish_pay(1, "key-1", {code::created, out.paid});
  auto again = w.begin_pay(1, "key-1", t0 + 50);
  EXPECT_EQ(again.step, pay_step::reply);
  EXPECT_EQ(again.outcome.result, code::created);
  EXPECT_EQ(again.outcome.paid.balance, 4000);
  EXPECT_EQ(again.outcome.paid.paid_at, t0 + 5);
  // Another key for the paid reservation is refused.
  EXPECT_EQ(w.begin_pay(1, "key-2", t0).outcome.result, code::reservation_not_payable);
}

TEST(WalletTest, SameKeyWhileRunningWaitsAndOtherKeyIsRefused) {
  auto w = funded(5000, 1000);
  ASSERT_EQ(w.begin_pay(1, "k", t0).step, pay_step::lock);
  EXPECT_EQ(w.payments_in_flight(), 1u);
  EXPECT_TRUE(w.paying(1));
  EXPECT_EQ(w.begin_pay(1, "k", t0).step, pay_step::wait);
  auto other = w.begin_pay(1, "other", t0);
  EXPECT_EQ(other.step, pay_step::reply);
  EXPECT_EQ(other.outcome.result, code::reservation_not_payable);
  EXPECT_EQ(w.begin_pay(1, "", t0).outcome.result, code::reservation_not_payable);
  w.finish_pay(1, "k", {code::insufficient_points, {}});
  EXPECT_EQ(w.payments_in_flight(), 0u);
  // The refusal while running was not remembered: "other" may now try for real.
  EXPECT_EQ(w.begin_pay(1, "other", t0).step, pay_step::lock);
}

TEST(WalletTest, AbortedPaymentForgetsItsKey) {
  auto w = funded(5000, 1000);
  ASSERT_EQ(w.begin_pay(1, "k", t0).step, pay_step::lock);
  w.abort_pay(1, "k");
  EXPECT_FALSE(w.paying(1));
  EXPECT_EQ(w.begin_pay(1, "k", t0).step, pay_step::lock);
}

TEST(WalletTest, RefusalsAreRememberedUnderTheirKey) {
  auto w = funded(5000, 1000);
  auto late = t0 + seconds_us(300);
  EXPECT_EQ(w.begin_pay(1, "k", late).outcome.result, code::reservation_expired);
  auto again = w.begin_pay(1, "k", t0);  // even at a time it would have been payable
  EXPECT_EQ(again.step, pay_step::reply);
  EXPECT_EQ(again.outcome.result, code::reservation_expired);
}

TEST(WalletTest, VoidedDebitGivesThePointsBack) {
  auto w = funded(5000, 1000);
  ASSERT_EQ(w.begin_pay(1, "", t0).step, pay_step::lock);
  ASSERT_EQ(w.debit(1, t0).result, code::ok);
  w.void_debit(1, t0 + 1);
  w.finish_pay(1, "", {code::reservation_not_payable, {}});
  EXPECT_EQ(w.balance(), 5000);
  EXPECT_EQ(w.spent_total(), 0);
  expect_conserved(w);
  auto h = w.history();
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].kind, history_kind::payment);
  EXPECT_EQ(h[0].amount, -1000);
  EXPECT_EQ(h[0].balance, 5000);
  w.void_debit(1, t0 + 2);  // nothing left to void
  EXPECT_EQ(w.balance(), 5000);
  EXPECT_EQ(w.history().size(), 3u);
}

TEST(WalletTest, OldestKeysAreForgottenBeyondTheBound) {
  auto w = funded(5000, 1000);
  auto late = t0 + seconds_us(300);
  for (size_t i = 0; i <= wallet::max_keys; ++i)
    EXPECT_EQ(w.begin_pay(1, "k" + std::to_string(i), late).outcome.result,
              code::reservation_expired);
  // "k0" was evicted: it is judged again (now payable); the newest is still remembered.
  EXPECT_EQ(w.begin_pay(1, "k" + std::to_string(wallet::max_keys), t0).outcome.result,
            code::reservation_expired);
  EXPECT_EQ(w.begin_pay(1, "k0", t0).step, pay_step::lock);
}

TEST(WalletTest, PointsAreConservedUnderASeededRandomWorkload) {
  rng r{20240611};
  wallet w{alice};
  points charged = 0, spent = 0;
  reservation_id next = 1;
  time_us now = t0;
  for (int step = 0; step < 20'000; ++step) {
    now += static_cast<time_us>(r.below(5'000'000));
    switch (r.below(5)) {
      case 0: {
        auto amount = static_cast<points>(r.below(20'000)) - 1'000;  // some invalid
        if (w.charge(amount, now, max_balance) == code::ok) charged += amount;
        break;
      }
      case 1:
        w.add_reservation(
            held_seat(next++, 1 + static_cast<points>(r.below(9'000)), now + seconds_us(60)));
        break;
      default: {
        if (next == 1) break;
        auto rid = 1 + r.below(next - 1);
        auto before = w.balance();
        std::string key = r.chance_ppm(500'000) ? "k" + std::to_string(rid) : "";
        auto plan = w.begin_pay(rid, key, now);
        if (plan.step != pay_step::lock) break;
        auto out = w.debit(rid, now);
        if (out.result == code::ok && r.chance_ppm(100'000)) {  // the sale was refused
          w.void_debit(rid, now);
          out = {code::reservation_not_payable, {}};
        }
        if (out.result == code::ok) {
          spent += before - w.balance();
          out.result = code::created;
        }
        w.finish_pay(rid, key, out);
        break;
      }
    }
    ASSERT_GE(w.balance(), 0);
    ASSERT_EQ(w.charged_total(), w.balance() + w.spent_total());
  }
  EXPECT_EQ(w.charged_total(), charged);
  EXPECT_EQ(w.spent_total(), spent);
  EXPECT_GT(spent, 0);
  EXPECT_EQ(w.payments_in_flight(), 0u);
}

TEST(WalletTest, EncodeDecodeRoundTrip) {
  auto w = funded(5000, 1000);
  w.add_reservation(held_seat(2, 300, t0 + seconds_us(300)));
  w.add_reservation(held_seat(3, 700, t0 + seconds_us(300)));
  ASSERT_EQ(w.begin_pay(1, "key-1", t0).step, pay_step::lock);
  auto out = w.debit(1, t0 + 3);
  w.finish_pay(1, "key-1", {code::created, out.paid});
  ASSERT_EQ(w.begin_pay(3, "late", t0 + seconds_us(301)).outcome.result, code::reservation_expired);
  auto bytes = w.encode();
  auto back = wallet::decode(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->encode(), bytes);
  EXPECT_EQ(back->user(), alice);
  EXPECT_EQ(back->balance(), 4000);
  EXPECT_EQ(back->spent_total(), 1000);
  EXPECT_EQ(back->history().size(), 2u);
  EXPECT_EQ(back->view(1, t0)->status, reservation_status::confirmed);
  EXPECT_EQ(back->view(2, t0)->status, reservation_status::held);
  EXPECT_EQ(back->live_holds(t0), 2u);
  auto again = back->begin_pay(1, "key-1", t0);
  EXPECT_EQ(again.outcome.result, code::created);
  EXPECT_EQ(again.outcome.paid.paid_at, t0 + 3);
  EXPECT_EQ(back->begin_pay(3, "late", t0).outcome.result, code::reservation_expired);
  EXPECT_EQ(back->debit(1, t0).paid.balance, 4000);  // keyed debit survives too
  EXPECT_EQ(back->balance(), 4000);
}

TEST(WalletTest, EmptyWalletRoundTrips) {
  wallet w{alice};
  auto back = wallet::decode(w.encode());
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
  EXPECT_EQ(back->user(), alice);
}

TEST(WalletTest, DecodeRefusesGarbage) {
  EXPECT_FALSE(wallet::decode(""));
  EXPECT_FALSE(wallet::decode("CW"));
  EXPECT_FALSE(wallet::decode("not a wallet at all"));
  auto w = funded(5000, 1000);
  auto bytes = w.encode();
  auto wrong_version = bytes;
  wrong_version[2] = 2;
  EXPECT_FALSE(wallet::decode(wrong_version));
  EXPECT_FALSE(wallet::decode(bytes + "x"));  // trailing bytes
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(wallet::decode(bytes.substr(0, n))) << "truncated to " << n;
}

TEST(WalletTest, DecodeRefusesAWalletThatBreaksConservation) {
  auto w = funded(5000, 1000);
  auto bytes = w.encode();
  bytes[3 + 8] = static_cast<char>(bytes[3 + 8] + 1);  // balance, first byte after the user
  EXPECT_FALSE(wallet::decode(bytes));
}

TEST(WalletTest, DecodeOfRandomlyCorruptedBytesNeverBreaksInvariants) {
  auto w = funded(5000, 1000);
  ASSERT_EQ(w.begin_pay(1, "key", t0).step, pay_step::lock);
  w.finish_pay(1, "key", {code::created, w.debit(1, t0).paid});
  auto bytes = w.encode();
  rng r{99};
  int accepted = 0;
  for (int i = 0; i < 5'000; ++i) {
    auto bad = bytes;
    for (uint64_t flips = 1 + r.below(3); flips > 0; --flips)
      bad[r.below(bad.size())] = static_cast<char>(r.below(256));
    auto back = wallet::decode(bad);
    if (!back) continue;
    ++accepted;  // a flip in a timestamp is still a valid wallet
    EXPECT_GE(back->balance(), 0);
    EXPECT_EQ(back->charged_total(), back->balance() + back->spent_total());
  }
  EXPECT_LT(accepted, 5'000);
}
