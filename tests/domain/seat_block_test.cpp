// Unit tests of the seat rules (seat_block.hpp): every transition and refusal, exact expiry
// at the deadline, two-phase payment with its pay timeout, stale timers, counters, and
// snapshot round trips. Time is passed explicitly, so every instant is chosen by the test.
#include "actors/seat_block.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace concert {
namespace {

constexpr time_us t0 = seconds_us(1'800'000'000);  // any fixed instant
constexpr time_us hold_time = seconds_us(300);
constexpr time_us pay_timeout = seconds_us(30);
constexpr time_us deadline = t0 + hold_time;  // of a hold placed at t0
constexpr uint32_t block_id = 7;
constexpr schedule_id sched = 3;

/// Block 7 of schedule 3: seats 11..20, seat s costs 1000 * s.
seat_block make_block() {
  std::vector<points> prices;
  for (seat_no s = 11; s <= 20; ++s) prices.push_back(1000 * s);
  return seat_block{{block_id, sched, 11, hold_time, pay_timeout}, prices};
}

seat_status status_at(seat_block& b, seat_no seat, time_us now) {
  for (const auto& s : b.list(now, true))
    if (s.seat == seat) return s.status;
  ADD_FAILURE() << "seat " << seat << " not listed";
  return seat_status::sold;
}

TEST(ReservationId, NamesItsBlockAndSequence) {
  auto rid = make_reservation_id(5, 9);
  EXPECT_EQ(rid, (uint64_t{5} << 32) | 9);
  EXPECT_EQ(block_of(rid), 5u);
  EXPECT_EQ(sequence_of(rid), 9u);
  EXPECT_EQ(block_of(42), 0u);  // small ids name no block
}

TEST(SeatBlock, HoldCreatesAHeldReservation) {
  auto b = make_block();
  auto out = b.hold(100, 12, t0);
  ASSERT_EQ(out.result, code::created);
  EXPECT_EQ(out.resv.id, make_reservation_id(block_id, 1));
  EXPECT_EQ(out.resv.user, 100u);
  EXPECT_EQ(out.resv.schedule, sched);
  EXPECT_EQ(out.resv.seat, 12u);
  EXPECT_EQ(out.resv.price, 12'000);
  EXPECT_EQ(out.resv.status, reservation_status::held);
  EXPECT_EQ(out.resv.expires_at, deadline);
  EXPECT_EQ(status_at(b, 12, t0), seat_status::held);
}

TEST(SeatBlock, ReservationIdsCountUpPerBlock) {
  auto b = make_block();
  EXPECT_EQ(b.hold(1, 11, t0).resv.id, make_reservation_id(block_id, 1));
  EXPECT_EQ(b.hold(2, 12, t0).resv.id, make_reservation_id(block_id, 2));
  EXPECT_EQ(b.hold(3, 11, t0).result, code::seat_unavailable);  // a refusal uses no id
  EXPECT_EQ(b.hold(3, 13, t0).resv.id, make_reservation_id(block_id, 3));
}

TEST(SeatBlock, HoldRefusals) {
  auto b = make_block();
  auto held = b.hold(1, 11, t0).resv.id;
  auto paying = b.hold(1, 12, t0).resv.id;
  ASSERT_EQ(b.lock(1, paying, t0), code::ok);
  auto sold = b.hold(1, 13, t0).resv.id;
  ASSERT_EQ(b.lock(1, sold, t0), code::ok);
  ASSERT_EQ(b.sell(1, sold, t0), code::ok);
  ASSERT_NE(held, 0u);
  struct row {
    user_id user;
    seat_no seat;
    code expected;
    const char* why;
  };
  const row rows[] = {
      {2, 0, code::seat_not_found, "seat 0"},
      {2, 10, code::seat_not_found, "below the block"},
      {2, 21, code::seat_not_found, "above the block"},
      {2, 11, code::seat_unavailable, "held by another user"},
      {1, 11, code::seat_unavailable, "held by the same user"},
      {2, 12, code::seat_unavailable, "being paid for"},
      {2, 13, code::seat_unavailable, "sold"},
      {2, 14, code::created, "free"},
  };
  for (const auto& r : rows) EXPECT_EQ(b.hold(r.user, r.seat, t0 + 1).result, r.expected) << r.why;
}

TEST(SeatBlock, LapsedHoldIsFreeExactlyAtTheDeadline) {
  auto b = make_block();
  ASSERT_EQ(b.hold(1, 15, t0).result, code::created);
  EXPECT_EQ(b.hold(2, 15, deadline - 1).result, code::seat_unavailable);
  EXPECT_EQ(status_at(b, 15, deadline - 1), seat_status::held);
  auto again = b.hold(2, 15, deadline);
  ASSERT_EQ(again.result, code::created);
  EXPECT_EQ(again.resv.user, 2u);
  EXPECT_EQ(again.resv.expires_at, deadline + hold_time);
}

TEST(SeatBlock, LockOneMicrosecondBeforeTheDeadlineSucceeds) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  EXPECT_EQ(b.lock(1, rid, deadline - 1), code::ok);
  EXPECT_EQ(b.sell(1, rid, deadline + 1), code::ok);  // expiry suspended while paying
  EXPECT_EQ(status_at(b, 11, deadline + 1), seat_status::sold);
}

TEST(SeatBlock, LockAtTheDeadlineIsExpired) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  EXPECT_EQ(b.lock(1, rid, deadline), code::reservation_expired);
  EXPECT_EQ(status_at(b, 11, deadline), seat_status::available);
}

TEST(SeatBlock, LockRefusals) {
  auto b = make_block();
  auto held = b.hold(1, 11, t0).resv.id;
  auto paying = b.hold(1, 12, t0).resv.id;
  ASSERT_EQ(b.lock(1, paying, t0), code::ok);
  auto sold = b.hold(1, 13, t0).resv.id;
  ASSERT_EQ(b.lock(1, sold, t0), code::ok);
  ASSERT_EQ(b.sell(1, sold, t0), code::ok);
  auto lapsed = b.hold(1, 14, t0 - hold_time).resv.id;  // lapsed at t0
  auto overwritten = b.hold(1, 15, t0 - hold_time).resv.id;
  ASSERT_EQ(b.hold(2, 15, t0).result, code::created);  // seat 15 taken over by user 2
  struct row {
    user_id user;
    reservation_id rid;
    code expected;
    const char* why;
  };
  const row rows[] = {
      {1, 0, code::reservation_not_found, "id 0"},
      {1, make_reservation_id(block_id + 1, 1), code::reservation_not_found, "other block"},
      {1, make_reservation_id(block_id, 0), code::reservation_not_found, "sequence 0"},
      {1, make_reservation_id(block_id, 99), code::reservation_not_found, "never issued"},
      {2, held, code::reservation_not_found, "another user's"},
      {1, paying, code::reservation_not_payable, "already paying"},
      {1, sold, code::reservation_not_payable, "already sold"},
      {1, lapsed, code::reservation_expired, "lapsed"},
      {1, overwritten, code::reservation_expired, "lapsed and held again"},
      {1, held, code::ok, "held by this user"},
  };
  for (const auto& r : rows) EXPECT_EQ(b.lock(r.user, r.rid, t0), r.expected) << r.why;
}

TEST(SeatBlock, SellNeedsALock) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  EXPECT_EQ(b.sell(1, rid, t0), code::reservation_not_payable);
  ASSERT_EQ(b.lock(1, rid, t0), code::ok);
  EXPECT_EQ(b.sell(2, rid, t0), code::reservation_not_found);
  EXPECT_EQ(b.sell(1, rid, t0), code::ok);
  EXPECT_EQ(b.sell(1, rid, t0 + 1), code::ok) << "a retried sell of the same reservation";
  EXPECT_EQ(b.unlock(1, rid, t0 + 2), code::reservation_not_payable);
  EXPECT_EQ(status_at(b, 11, t0 + 3), seat_status::sold);
  EXPECT_EQ(b.hold(2, 11, deadline + hold_time).result, code::seat_unavailable);
}

TEST(SeatBlock, SellOfALapsedHoldIsExpired) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  EXPECT_EQ(b.sell(1, rid, deadline), code::reservation_expired);
}

TEST(SeatBlock, UnlockKeepsTheOriginalDeadline) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  ASSERT_EQ(b.lock(1, rid, t0 + seconds_us(100)), code::ok);
  ASSERT_EQ(b.unlock(1, rid, t0 + seconds_us(110)), code::ok);
  EXPECT_EQ(status_at(b, 11, t0 + seconds_us(110)), seat_status::held);
  EXPECT_EQ(b.record(11).deadline, deadline);
  ASSERT_EQ(b.lock(1, rid, deadline - 1), code::ok);  // still the same deadline...
  ASSERT_EQ(b.unlock(1, rid, deadline - 1), code::ok);
  EXPECT_EQ(b.lock(1, rid, deadline), code::reservation_expired);  // ...and it still ends
  EXPECT_EQ(b.hold(2, 11, deadline).result, code::created);
}

TEST(SeatBlock, UnlockAfterTheDeadlineFreesTheSeat) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  ASSERT_EQ(b.lock(1, rid, deadline - seconds_us(10)), code::ok);
  EXPECT_EQ(status_at(b, 11, deadline + 1), seat_status::paying);
  EXPECT_EQ(b.unlock(1, rid, deadline + 1), code::ok);
  EXPECT_EQ(status_at(b, 11, deadline + 1), seat_status::available);
  EXPECT_EQ(b.stats(deadline + 1).holds_expired_total, 1u);
  EXPECT_EQ(b.lock(1, rid, deadline + 2), code::reservation_expired);
}

TEST(SeatBlock, UnlockOfAnUnlockedOrLapsedHoldIsHarmless) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  EXPECT_EQ(b.unlock(1, rid, t0), code::ok);
  EXPECT_EQ(status_at(b, 11, t0), seat_status::held);
  EXPECT_EQ(b.unlock(2, rid, t0), code::reservation_not_found);
  EXPECT_EQ(b.unlock(1, rid, deadline), code::ok);
  EXPECT_EQ(status_at(b, 11, deadline), seat_status::available);
}

TEST(SeatBlock, PayTimeoutAfterTheDeadlineFreesTheSeat) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  auto locked_at = deadline - seconds_us(10);
  ASSERT_EQ(b.lock(1, rid, locked_at), code::ok);
  EXPECT_EQ(b.hold(2, 11, locked_at + pay_timeout - 1).result, code::seat_unavailable);
  EXPECT_EQ(b.sell(1, rid, locked_at + pay_timeout - 1), code::ok);

  auto c = make_block();
  rid = c.hold(1, 11, t0).resv.id;
  ASSERT_EQ(c.lock(1, rid, locked_at), code::ok);
  EXPECT_EQ(c.hold(2, 11, locked_at + pay_timeout).result, code::created);
  EXPECT_EQ(c.sell(1, rid, locked_at + pay_timeout), code::reservation_expired);
}

TEST(SeatBlock, PayTimeoutBeforeTheDeadlineReturnsToHeld) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  ASSERT_EQ(b.lock(1, rid, t0), code::ok);
  EXPECT_EQ(status_at(b, 11, t0 + pay_timeout - 1), seat_status::paying);
  EXPECT_EQ(status_at(b, 11, t0 + pay_timeout), seat_status::held);
  EXPECT_EQ(b.sell(1, rid, t0 + pay_timeout), code::reservation_not_payable);
  EXPECT_EQ(b.hold(2, 11, t0 + pay_timeout).result, code::seat_unavailable);
  EXPECT_EQ(b.lock(1, rid, t0 + pay_timeout), code::ok) << "a new lock under the old deadline";
  EXPECT_EQ(b.record(11).deadline, deadline);
}

TEST(SeatBlock, TimerSettlesOnlyWhenDue) {
  auto b = make_block();
  b.hold(1, 11, t0);
  b.settle_due(deadline - 1);
  EXPECT_EQ(b.available(), 9u);
  b.settle_due(deadline);
  EXPECT_EQ(b.available(), 10u);
  b.settle_due(deadline + 1);
  EXPECT_EQ(b.available(), 10u) << "a second firing changes nothing";
  EXPECT_EQ(b.stats(deadline + 1).holds_expired_total, 1u);
}

TEST(SeatBlock, NextChangeIsTheEarliestDeadlineOfALiveHoldOrLock) {
  auto b = make_block();
  EXPECT_EQ(b.next_change(), std::nullopt) << "no hold, no timer";
  auto first = b.hold(1, 11, t0).resv.id;
  auto second = b.hold(2, 12, t0 + 10).resv.id;
  EXPECT_EQ(b.next_change(), deadline);
  ASSERT_EQ(b.lock(1, first, t0 + 20), code::ok);
  EXPECT_EQ(b.next_change(), t0 + 20 + pay_timeout) << "paying suspends the hold deadline";
  ASSERT_EQ(b.sell(1, first, t0 + 30), code::ok);
  EXPECT_EQ(b.next_change(), deadline + 10) << "a sold seat needs no timer";
  b.settle_due(deadline + 10);
  EXPECT_EQ(b.next_change(), std::nullopt);
  EXPECT_EQ(status_at(b, 12, deadline + 10), seat_status::available);
  (void)second;
}

TEST(SeatBlock, ALockThatTimesOutFallsBackToItsHoldDeadline) {
  auto b = make_block();
  auto rid = b.hold(1, 11, t0).resv.id;
  ASSERT_EQ(b.lock(1, rid, t0), code::ok);
  b.settle_due(t0 + pay_timeout);
  EXPECT_EQ(b.record(11).status, seat_status::held);
  EXPECT_EQ(b.next_change(), deadline);
}

TEST(SeatBlock, ExpiryIsCountedOnceWhicheverWayItIsNoticed) {
  auto b = make_block();
  b.hold(1, 11, t0);
  auto c = b.hold(1, 12, t0).resv.id;
  ASSERT_EQ(b.hold(2, 11, deadline).result, code::created);      // lazily noticed
  b.settle_due(deadline);                                        // then the timer
  EXPECT_EQ(b.lock(1, c, deadline), code::reservation_expired);  // then an operation
  b.list(deadline, true);
  EXPECT_EQ(b.stats(deadline).holds_expired_total, 2u);
}

TEST(SeatBlock, CountersFollowEveryTransition) {
  auto b = make_block();
  auto s = b.stats(t0);
  EXPECT_EQ(s.available, 10u);
  EXPECT_EQ(s.held + s.sold + s.holds_placed_total + s.holds_expired_total, 0u);
  auto r1 = b.hold(1, 11, t0).resv.id;
  auto r2 = b.hold(2, 12, t0).resv.id;
  b.hold(3, 13, t0 + 1);  // lapses at deadline + 1
  ASSERT_EQ(b.lock(1, r1, t0 + 2), code::ok);
  ASSERT_EQ(b.sell(1, r1, t0 + 3), code::ok);
  s = b.stats(t0 + 5);
  EXPECT_EQ(s.available, 7u);
  EXPECT_EQ(s.held, 2u);
  EXPECT_EQ(s.sold, 1u);
  EXPECT_EQ(s.holds_placed_total, 3u);
  EXPECT_EQ(s.holds_expired_total, 0u);
  auto locked_at = deadline - seconds_us(10);
  ASSERT_EQ(b.lock(2, r2, locked_at), code::ok);
  // At deadline + 1: seat 13 lapsed, seat 12 is paying (counted as held) past its deadline.
  s = b.stats(deadline + 1);
  EXPECT_EQ(s.available, 8u);
  EXPECT_EQ(s.held, 1u);
  EXPECT_EQ(s.holds_expired_total, 1u);
  // The pay timeout passes after the deadline: seat 12 lapses too.
  s = b.stats(locked_at + pay_timeout);
  EXPECT_EQ(s.available, 9u);
  EXPECT_EQ(s.held, 0u);
  EXPECT_EQ(s.sold, 1u);
  EXPECT_EQ(s.holds_expired_total, 2u);
  EXPECT_EQ(b.available(), 9u);
}

TEST(SeatBlock, ListingIsInSeatOrderAndFiltersReservable) {
  auto b = make_block();
  b.hold(1, 12, t0);
  auto r = b.hold(1, 14, t0).resv.id;
  ASSERT_EQ(b.lock(1, r, t0), code::ok);
  ASSERT_EQ(b.sell(1, r, t0), code::ok);
  auto all = b.list(t0, true);
  ASSERT_EQ(all.size(), 10u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seat, 11 + i);
    EXPECT_EQ(all[i].price, static_cast<points>(1000 * (11 + i)));
  }
  EXPECT_EQ(all[1].status, seat_status::held);
  EXPECT_EQ(all[3].status, seat_status::sold);
  auto free = b.list(t0, false);
  std::vector<seat_no> seats;
  for (const auto& s : free) seats.push_back(s.seat);
  EXPECT_EQ(seats, (std::vector<seat_no>{11, 13, 15, 16, 17, 18, 19, 20}));
  EXPECT_EQ(b.list(deadline, false).size(), 9u) << "the lapsed hold is reservable again";
}

TEST(SeatBlock, SnapshotRestoresEverything) {
  auto b = make_block();
  auto held = b.hold(1, 11, t0).resv.id;
  auto paying = b.hold(2, 12, t0).resv.id;
  ASSERT_EQ(b.lock(2, paying, t0 + 1), code::ok);
  b.hold(3, 13, t0 - hold_time);  // lapsed, not yet settled
  seat_block r{b.snapshot()};
  EXPECT_EQ(r.stats(t0 + 2).holds_placed_total, 3u);
  EXPECT_EQ(r.stats(t0 + 2).holds_expired_total, 1u);
  EXPECT_EQ(r.list(t0 + 2, true).size(), 10u);
  EXPECT_EQ(r.sell(2, paying, t0 + 2), code::ok);
  EXPECT_EQ(r.lock(1, held, t0 + 2), code::ok);
  EXPECT_EQ(r.hold(4, 14, t0 + 2).resv.id, make_reservation_id(block_id, 4));
  EXPECT_EQ(b.hold(4, 14, t0 + 2).resv.id, make_reservation_id(block_id, 4));
}

TEST(SplitIntoBlocks, CoversEverySeatInOrder) {
  std::vector<points> prices(50, 100);
  prices[0] = 500;
  auto blocks = split_into_blocks(9, prices, 4, 16, hold_time, pay_timeout);
  ASSERT_EQ(blocks.size(), 4u);
  const seat_no firsts[] = {1, 17, 33, 49};
  for (size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ(blocks[i].params().block_id, 4 + i);
    EXPECT_EQ(blocks[i].params().schedule, 9u);
    EXPECT_EQ(blocks[i].first_seat(), firsts[i]);
  }
  EXPECT_EQ(blocks[3].last_seat(), 50u);
  EXPECT_EQ(blocks[0].record(1).price, 500);
  EXPECT_EQ(split_into_blocks(9, prices, 1, 64, hold_time, pay_timeout).size(), 1u);
}

}  // namespace
}  // namespace concert
