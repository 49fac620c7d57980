// The domain side of recovery: a queue line refilled from stored tokens keeps order,
// positions, active slots and TTLs and reports what it changed; a seat block rebuilt
// from stored records never reissues a reservation id and keeps its counters
// consistent; a wallet counts the changes its owner must persist and settles a
// recovered payment under its idempotency key.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "actors/queue_line.hpp"
#include "actors/seat_block.hpp"
#include "actors/wallet.hpp"

using namespace concert;

namespace {

constexpr time_us t0 = seconds_us(1'800'000'000);

queue_line_config cap(uint64_t n) {
  queue_line_config c;
  c.max_active = n;
  c.active_ttl = seconds_us(600);
  c.waiting_idle = seconds_us(60);
  return c;
}

}  // namespace

TEST(QueueLineRestoreTest, OrderPositionsAndActiveTtlComeBack) {
  queue_line q{cap(1)};
  // seq 3 active since t0 - 590 s; waiters 5 and 8 (6 and 7 left before the stop).
  q.restore({{8, 80, false, 0}, {3, 30, true, t0 - seconds_us(590)}, {5, 50, false, 0}}, 9, t0);
  token_view v;
  ASSERT_EQ(q.status(3, 30, t0, v), code::ok);
  EXPECT_TRUE(v.active);
  EXPECT_EQ(v.expires_at, t0 + seconds_us(10));
  ASSERT_EQ(q.status(5, 50, t0, v), code::ok);
  EXPECT_EQ(v.position, 1u);
  ASSERT_EQ(q.status(8, 80, t0, v), code::ok);
  EXPECT_EQ(v.position, 2u);
  EXPECT_EQ(q.status(6, 60, t0, v), code::token_expired) << "numbers below next stay spent";
  auto fresh = q.issue(90, t0);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->seq, 9u);
  EXPECT_EQ(fresh->view.position, 3u);
  // The TTL that ran before the stop ends on time and the front waiter comes in.
  EXPECT_EQ(q.check(3, 30, t0 + seconds_us(9)), code::ok);
  EXPECT_EQ(q.check(5, 50, t0 + seconds_us(9)), code::queue_not_admitted);
  EXPECT_EQ(q.check(3, 30, t0 + seconds_us(10)), code::token_expired);
  EXPECT_EQ(q.check(5, 50, t0 + seconds_us(10)), code::ok);
}

TEST(QueueLineRestoreTest, WaitersCountAsPolledAtTheRestart) {
  queue_line blocked{cap(1)};
  blocked.restore({{1, 10, true, t0}, {2, 20, false, 0}}, 3, t0 + seconds_us(30));
  token_view v;
  EXPECT_EQ(blocked.status(2, 20, t0 + seconds_us(89), v), code::ok);
  EXPECT_EQ(blocked.status(2, 20, t0 + seconds_us(90), v), code::token_expired)
      << "idle 60 s after the restart, not after its last poll before it";
}

TEST(QueueLineRestoreTest, ImpossibleTokensAreLeftOutAndReported) {
  queue_line q{cap(5)};
  q.keep_change_log(true);
  // A second token of user 10 (3) and a token of user 0 (4) cannot be live.
  q.restore({{1, 40, true, t0}, {2, 10, false, 0}, {3, 10, false, 0}, {4, 0, false, 0}}, 5, t0);
  EXPECT_EQ(q.drain_changes(), (std::vector<uint64_t>{3, 4}));
  EXPECT_FALSE(q.token(3));
  ASSERT_TRUE(q.token(2));
  EXPECT_EQ(q.token(2)->user, 10u);
  // Admission is FIFO, so a waiter ahead of an active token was never written.
  queue_line r{cap(5)};
  r.keep_change_log(true);
  r.restore({{1, 10, false, 0}, {2, 20, true, t0}}, 3, t0);
  EXPECT_EQ(r.drain_changes(), (std::vector<uint64_t>{1}));
  EXPECT_FALSE(r.token(1));
  ASSERT_TRUE(r.token(2));
  EXPECT_TRUE(r.token(2)->active);
}

TEST(QueueLineRestoreTest, ChangeLogNamesEveryIssueAdmissionAndEnd) {
  queue_line q{cap(1)};
  q.keep_change_log(true);
  auto a = q.issue(1, t0)->seq;
  auto b = q.issue(2, t0)->seq;
  EXPECT_EQ(q.drain_changes(), (std::vector<uint64_t>{a, b}));
  ASSERT_TRUE(q.token(a));
  EXPECT_TRUE(q.token(a)->active);
  EXPECT_FALSE(q.token(b)->active);
  token_view v;
  q.poll(b, 2, t0 + seconds_us(10), v);
  EXPECT_TRUE(q.drain_changes().empty()) << "a poll is not stored";
  EXPECT_EQ(q.end_user(1, t0 + seconds_us(20)), code::ok);
  EXPECT_EQ(q.drain_changes(), (std::vector<uint64_t>{a, b}));  // a ended, b admitted
  EXPECT_FALSE(q.token(a));
  EXPECT_TRUE(q.token(b)->active);
  EXPECT_EQ(q.token(b)->admitted_at, t0 + seconds_us(20));
}

TEST(SeatBlockRestoreTest, IdsContinueAfterTheStoredOnesAndCountersAddUp) {
  seat_block_params p{4, 1, 1, seconds_us(300), seconds_us(30)};
  seat_block fresh{p, std::vector<points>(8, 100)};
  seat_record sold{2, 0, seat_status::sold, 7, make_reservation_id(4, 5), t0, 0};
  seat_record lapsed{3, 0, seat_status::available, 8, make_reservation_id(4, 9), t0, 0};
  seat_record held{6, 0, seat_status::held, 9, make_reservation_id(4, 7), t0 + seconds_us(300), 0};
  seat_block b{with_records(fresh.snapshot(), {sold, lapsed, held})};
  EXPECT_EQ(b.record(2).price, 100) << "the price comes from the catalog";
  EXPECT_EQ(b.record(6).owner, 9u);
  auto st = b.stats(t0);
  EXPECT_EQ(st.sold, 1u);
  EXPECT_EQ(st.held, 1u);
  EXPECT_EQ(st.available, 6u);
  EXPECT_EQ(st.holds_placed_total, 3u);
  auto h = b.hold(1, 1, t0);
  ASSERT_EQ(h.result, code::created);
  EXPECT_EQ(h.resv.id, make_reservation_id(4, 10));
  EXPECT_EQ(b.seat_of(make_reservation_id(4, 7)), seat_no{6});
  EXPECT_EQ(b.sell(9, make_reservation_id(4, 7), t0), code::reservation_not_payable);
  EXPECT_EQ(b.lock(8, make_reservation_id(4, 9), t0), code::reservation_expired);
  // The stored hold lapses at its own deadline.
  EXPECT_EQ(b.hold(2, 6, t0 + seconds_us(299)).result, code::seat_unavailable);
  EXPECT_EQ(b.hold(2, 6, t0 + seconds_us(300)).result, code::created);
}

TEST(WalletRecoveryTest, RevisionMovesOnEveryStoredChangeOnly) {
  wallet w{1};
  auto r0 = w.revision();
  EXPECT_EQ(w.charge(1000, t0, 1'000'000), code::ok);
  auto r1 = w.revision();
  EXPECT_GT(r1, r0);
  EXPECT_EQ(w.charge(-5, t0, 1'000'000), code::invalid_amount);
  EXPECT_EQ(w.revision(), r1) << "a refusal changes nothing to store";
  reservation r{make_reservation_id(1, 1), 1, 1, 5, 400, reservation_status::held,
                t0 + seconds_us(300)};
  w.add_reservation(r);
  auto r2 = w.revision();
  EXPECT_GT(r2, r1);
  ASSERT_EQ(w.begin_pay(r.id, "k", t0).step, pay_step::lock);
  EXPECT_EQ(w.revision(), r2) << "a running payment is not stored";
  ASSERT_EQ(w.debit(r.id, t0).result, code::ok);
  EXPECT_GT(w.revision(), r2);
  EXPECT_TRUE(w.debited(r.id));
  EXPECT_EQ(w.price_of(r.id), 400);
}

TEST(WalletRecoveryTest, ACompletedRecoveryAnswersTheKeyWithThePayment) {
  wallet w{1};
  w.charge(1000, t0, 1'000'000);
  reservation r{make_reservation_id(1, 1), 1, 1, 5, 400, reservation_status::held,
                t0 + seconds_us(300)};
  w.add_reservation(r);
  w.begin_pay(r.id, "k", t0);
  w.debit(r.id, t0);
  // The process died here; the decoded wallet has the debit but not the key.
  auto back = wallet::decode(w.encode());
  ASSERT_TRUE(back);
  back->complete_recovered(r.id, "k");
  auto plan = back->begin_pay(r.id, "k", t0 + seconds_us(5));
  EXPECT_EQ(plan.step, pay_step::reply);
  EXPECT_EQ(plan.outcome.result, code::created);
  EXPECT_EQ(plan.outcome.paid.amount, 400);
  EXPECT_EQ(back->balance(), 600);
}
