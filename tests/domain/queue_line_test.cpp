// Unit tests of the queue line core: every transition (issue, reissue, poll, admit,
// leave, end, idle drop, TTL expiry) and every refusal, at exact time boundaries, plus
// positions checked against a naive model over many thousands of seeded operations.
// No CAF and no real clock: time is a plain number the tests move.
#include "actors/queue_line.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

// rng.hpp multiplies in unsigned __int128, which -Wpedantic flags; it is GCC/Clang-safe.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include "actors/rng.hpp"
#pragma GCC diagnostic pop

namespace concert {
/// Readable outcome names in failure messages.
void PrintTo(code c, std::ostream* os) { *os << code_name(c); }
}  // namespace concert

using namespace concert;

namespace {

constexpr time_us t0 = seconds_us(1'800'000'000);  // a fixed start, far from zero
constexpr time_us ms = 1'000;

queue_line_config make_cfg(uint64_t cap, double rate, int64_t ttl_s = 600, int64_t idle_s = 60) {
  queue_line_config c;
  c.max_active = cap;
  c.admit_per_second = rate;
  c.active_ttl = seconds_us(ttl_s);
  c.waiting_idle = seconds_us(idle_s);
  return c;
}

/// Issues a new token and returns its seq (the test fails if it was not new).
uint64_t join(queue_line& q, user_id u, time_us now) {
  auto t = q.issue(u, now);
  EXPECT_TRUE(t && t->created) << "user " << u;
  return t ? t->seq : 0;
}

token_view view(queue_line& q, uint64_t seq, user_id u, time_us now) {
  token_view v;
  EXPECT_EQ(q.status(seq, u, now, v), code::ok) << "seq " << seq;
  return v;
}

std::vector<uint64_t> admitted_seqs(queue_line& q) {
  std::vector<uint64_t> out;
  for (auto& a : q.drain_admissions()) out.push_back(a.seq);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- issue and reissue

TEST(QueueLine, IssueNumbersTokensInArrivalOrder) {
  queue_line q{make_cfg(1, 0)};
  auto a = join(q, 7, t0);
  auto b = join(q, 8, t0);
  auto c = join(q, 9, t0 + 1);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(q.stats().issued_total, 3u);
}

TEST(QueueLine, ReissueWhileLiveReturnsSameTokenAndRefreshesIdle) {
  queue_line q{make_cfg(1, 0)};
  join(q, 1, t0);
  auto seq = join(q, 2, t0);
  auto again = q.issue(2, t0 + seconds_us(50));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->seq, seq);
  EXPECT_EQ(again->view.expires_at, t0 + seconds_us(110));  // 50 s + idle 60 s
  EXPECT_EQ(q.stats().issued_total, 2u);
  auto active_again = q.issue(1, t0 + seconds_us(51));
  ASSERT_TRUE(active_again);
  EXPECT_FALSE(active_again->created);
  EXPECT_TRUE(active_again->view.active);
}

TEST(QueueLine, UserZeroIsNotAUser) {
  queue_line q{make_cfg(1, 0)};
  EXPECT_FALSE(q.issue(0, t0));
  EXPECT_EQ(q.stats().issued_total, 0u);
}

TEST(QueueLine, AFullLineRefusesNewcomersButNotHoldersAndReopensAsItMoves) {
  auto cfg = make_cfg(1, 0);
  cfg.max_waiting = 2;
  queue_line q{cfg};
  auto a = join(q, 1, t0);  // active: does not count against the bound
  join(q, 2, t0);
  join(q, 3, t0);
  EXPECT_TRUE(q.full());
  EXPECT_FALSE(q.issue(4, t0)) << "a third waiter is refused";
  EXPECT_EQ(q.stats().issued_total, 3u);
  EXPECT_EQ(q.stats().waiting, 2u);
  auto again = q.issue(3, t0 + 1);
  ASSERT_TRUE(again) << "a holder still gets its own token back";
  EXPECT_FALSE(again->created);
  EXPECT_EQ(q.leave(a, 1, t0 + 2), code::ok);  // user 2 moves in, a place frees up
  EXPECT_FALSE(q.full());
  join(q, 4, t0 + 3);
  EXPECT_FALSE(q.issue(5, t0 + 3));
}

TEST(QueueLine, ReissueAfterExpiryGivesNewTokenAtTheBack) {
  queue_line q{make_cfg(1, 0)};
  join(q, 1, t0);             // active
  auto old = join(q, 2, t0);  // waiting, never polls again
  join(q, 3, t0 + seconds_us(30));
  auto later = t0 + seconds_us(61);  // 2 was dropped at t0 + 60 s
  token_view v;
  EXPECT_EQ(q.poll(old, 2, later, v), code::token_expired);
  auto fresh = q.issue(2, later);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->created);
  EXPECT_GT(fresh->seq, old);
  EXPECT_EQ(fresh->view.position, 2u);  // behind user 3
}

// ---------------------------------------------------------------- status, check, codes

TEST(QueueLine, FansUpToTheCapAreActiveTheRestWaitInOrder) {
  queue_line q{make_cfg(2, 0)};
  auto a = q.issue(1, t0);
  auto b = q.issue(2, t0);
  auto c = q.issue(3, t0);
  auto d = q.issue(4, t0);
  ASSERT_TRUE(a && b && c && d);
  EXPECT_TRUE(a->view.active);
  EXPECT_EQ(a->view.position, 0u);
  EXPECT_TRUE(b->view.active);
  EXPECT_FALSE(c->view.active);
  EXPECT_EQ(c->view.position, 1u);
  EXPECT_EQ(d->view.position, 2u);
  EXPECT_EQ(d->view.user, 4u);
  EXPECT_EQ(q.stats().waiting, 2u);
  EXPECT_EQ(q.stats().active, 2u);
}

TEST(QueueLine, CheckGivesOkForActiveAndNotAdmittedForWaiting) {
  queue_line q{make_cfg(1, 0)};
  auto a = join(q, 1, t0);
  auto b = join(q, 2, t0);
  EXPECT_EQ(q.check(a, 1, t0), code::ok);
  EXPECT_EQ(q.check(b, 2, t0), code::queue_not_admitted);
}

TEST(QueueLine, LookupsRejectSeqsNotBoundToTheUser) {
  queue_line q{make_cfg(1, 0)};
  auto a = join(q, 1, t0);
  auto b = join(q, 2, t0);
  token_view v;
  EXPECT_EQ(q.check(a, 2, t0), code::token_expired);  // issued, but not to user 2
  EXPECT_EQ(q.poll(b, 1, t0, v), code::token_expired);
  EXPECT_EQ(q.check(b + 1, 2, t0), code::token_invalid);  // never issued
  EXPECT_EQ(q.check(0, 1, t0), code::token_invalid);
  EXPECT_EQ(q.leave(999, 1, t0), code::token_invalid);
  EXPECT_EQ(q.check(a, 1, t0), code::ok);  // the refusals changed nothing
  EXPECT_EQ(q.stats().ended_total, 0u);
}

TEST(QueueLine, ExpiresAtIsAdmissionPlusTtlOrLastPollPlusIdle) {
  queue_line q{make_cfg(1, 0, 600, 60)};
  auto a = q.issue(1, t0);
  auto b = q.issue(2, t0 + seconds_us(5));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->view.expires_at, t0 + seconds_us(600));
  EXPECT_EQ(b->view.expires_at, t0 + seconds_us(65));
  token_view v;
  ASSERT_EQ(q.poll(b->seq, 2, t0 + seconds_us(20), v), code::ok);
  EXPECT_EQ(v.expires_at, t0 + seconds_us(80));
}

// ---------------------------------------------------------------- leave and end

TEST(QueueLine, LeavingWaiterMovesThoseBehindUp) {
  queue_line q{make_cfg(1, 0)};
  join(q, 1, t0);
  auto b = join(q, 2, t0);
  auto c = join(q, 3, t0);
  auto d = join(q, 4, t0);
  EXPECT_EQ(view(q, d, 4, t0).position, 3u);
  EXPECT_EQ(q.leave(c, 3, t0), code::ok);
  EXPECT_EQ(view(q, d, 4, t0).position, 2u);
  EXPECT_EQ(view(q, b, 2, t0).position, 1u);
  EXPECT_EQ(q.check(c, 3, t0), code::token_expired);
  EXPECT_EQ(q.leave(c, 3, t0), code::token_expired);
  EXPECT_EQ(q.stats().ended_total, 1u);
}

TEST(QueueLine, LeavingActiveAdmitsTheNextAtOnce) {
  queue_line q{make_cfg(1, 0)};
  q.keep_admission_log(true);
  auto a = join(q, 1, t0);
  auto b = join(q, 2, t0);
  auto when = t0 + seconds_us(7);
  EXPECT_EQ(q.leave(a, 1, when), code::ok);
  EXPECT_EQ(q.check(b, 2, when), code::ok);
  auto log = q.drain_admissions();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].seq, b);
  EXPECT_EQ(log[1].at, when);
}

TEST(QueueLine, EndUserAdmitsTheNextAtOnce) {
  queue_line q{make_cfg(1, 0)};
  join(q, 1, t0);
  auto b = join(q, 2, t0);
  auto when = t0 + seconds_us(3);
  EXPECT_EQ(q.end_user(1, when), code::ok);
  EXPECT_EQ(q.check(b, 2, when), code::ok);
  EXPECT_EQ(q.stats().ended_total, 1u);
  EXPECT_EQ(q.end_user(1, when), code::token_expired);  // second end: nothing left
}

TEST(QueueLine, EndUserKeepsAWaitingToken) {
  queue_line q{make_cfg(1, 0)};
  join(q, 1, t0);
  auto b = join(q, 2, t0);
  EXPECT_EQ(q.end_user(2, t0), code::token_expired);
  EXPECT_EQ(q.end_user(99, t0), code::token_expired);
  EXPECT_EQ(q.check(b, 2, t0), code::queue_not_admitted);
}

// ---------------------------------------------------------------- idle and TTL boundaries

TEST(QueueLine, IdleWaiterIsDroppedExactlyAtTheTimeout) {
  queue_line q{make_cfg(1, 0, 600, 60)};
  join(q, 1, t0);
  auto b = join(q, 2, t0);
  auto c = join(q, 3, t0 + seconds_us(10));  // silent: gone at exactly 70 s
  token_view v;
  EXPECT_EQ(q.poll(b, 2, t0 + seconds_us(60) - 1, v), code::ok);         // alive 1 us before
  EXPECT_EQ(q.poll(c, 3, t0 + seconds_us(70), v), code::token_expired);  // at the boundary
  c = join(q, 3, t0 + seconds_us(70));
  EXPECT_EQ(q.poll(b, 2, t0 + seconds_us(100), v), code::ok);
  EXPECT_EQ(q.check(c, 3, t0 + seconds_us(130) - 1), code::queue_not_admitted);
  EXPECT_EQ(q.check(c, 3, t0 + seconds_us(130)), code::token_expired);
  EXPECT_EQ(q.stats().dropped_idle_total, 2u);
  EXPECT_EQ(view(q, b, 2, t0 + seconds_us(130)).position, 1u);
}

TEST(QueueLine, DroppedWaitersLeaveTheLineAndTheirPositions) {
  queue_line q{make_cfg(1, 0, 600, 60)};
  join(q, 1, t0);
  std::vector<uint64_t> seqs;
  for (user_id u = 2; u <= 6; ++u) seqs.push_back(join(q, u, t0));
  // Users 2 and 4 keep polling; 3, 5 and 6 fall silent.
  token_view v;
  for (int s = 20; s <= 60; s += 20) {
    ASSERT_EQ(q.poll(seqs[0], 2, t0 + seconds_us(s), v), code::ok);
    ASSERT_EQ(q.poll(seqs[2], 4, t0 + seconds_us(s), v), code::ok);
  }
  EXPECT_EQ(view(q, seqs[2], 4, t0 + seconds_us(60)).position, 2u);
  EXPECT_EQ(q.stats().waiting, 2u);
  EXPECT_EQ(q.stats().dropped_idle_total, 3u);
}

TEST(QueueLine, ActiveTokenExpiresExactlyAtItsTtlAndTheNextComesIn) {
  queue_line q{make_cfg(1, 0, 600, 60)};
  q.keep_admission_log(true);
  auto a = join(q, 1, t0);
  auto b = join(q, 2, t0);
  token_view v;
  for (int s = 50; s < 600; s += 50) ASSERT_EQ(q.poll(b, 2, t0 + seconds_us(s), v), code::ok);
  EXPECT_EQ(q.check(a, 1, t0 + seconds_us(600) - 1), code::ok);
  EXPECT_EQ(q.next_wakeup(), t0 + seconds_us(600));
  EXPECT_EQ(q.check(a, 1, t0 + seconds_us(600)), code::token_expired);
  EXPECT_EQ(q.check(b, 2, t0 + seconds_us(600)), code::ok);
  auto log = q.drain_admissions();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].at, t0 + seconds_us(600));
  EXPECT_EQ(q.stats().expired_active_total, 1u);
}

TEST(QueueLine, ActiveTokensAreNotDroppedForSilence) {
  queue_line q{make_cfg(1, 0, 600, 60)};
  auto a = join(q, 1, t0);
  q.advance(t0 + seconds_us(300));
  EXPECT_EQ(q.check(a, 1, t0 + seconds_us(300)), code::ok);
  EXPECT_EQ(q.stats().dropped_idle_total, 0u);
}

TEST(QueueLine, WorkDueInThePastHappensAtItsOwnTime) {
  // One late advance: the TTL frees the slot at 600 s, so the waiter (who polled at
  // 590 s) is admitted at 600 s, before its idle drop at 650 s would have removed it.
  queue_line q{make_cfg(1, 0, 600, 60)};
  q.keep_admission_log(true);
  join(q, 1, t0);
  auto b = join(q, 2, t0);
  token_view v;
  for (int s = 50; s <= 590; s += 45) ASSERT_EQ(q.poll(b, 2, t0 + seconds_us(s), v), code::ok);
  q.advance(t0 + seconds_us(700));
  auto log = q.drain_admissions();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].at, t0 + seconds_us(600));
  EXPECT_EQ(q.check(b, 2, t0 + seconds_us(700)), code::ok);
}

TEST(QueueLine, TimeNeverRunsBackwards) {
  queue_line q{make_cfg(1, 0, 600, 60)};
  auto a = join(q, 1, t0);
  EXPECT_EQ(q.check(a, 1, t0 + seconds_us(600)), code::token_expired);
  EXPECT_EQ(q.check(a, 1, t0), code::token_expired);  // an older `now` revives nothing
}

// ---------------------------------------------------------------- admission policies

TEST(QueueLine, FifoUnderCap) {
  queue_line q{make_cfg(3, 0)};
  q.keep_admission_log(true);
  std::vector<uint64_t> seqs;
  for (user_id u = 1; u <= 10; ++u) seqs.push_back(join(q, u, t0));
  EXPECT_EQ(admitted_seqs(q), (std::vector<uint64_t>{seqs[0], seqs[1], seqs[2]}));
  EXPECT_EQ(q.end_user(2, t0 + 1), code::ok);
  EXPECT_EQ(q.leave(seqs[0], 1, t0 + 2), code::ok);
  EXPECT_EQ(q.leave(seqs[6], 7, t0 + 3), code::ok);  // a waiter leaves: skipped
  EXPECT_EQ(q.end_user(3, t0 + 4), code::ok);
  EXPECT_EQ(q.end_user(4, t0 + 5), code::ok);
  EXPECT_EQ(q.end_user(5, t0 + 6), code::ok);
  EXPECT_EQ(admitted_seqs(q), (std::vector<uint64_t>{seqs[3], seqs[4], seqs[5], seqs[7], seqs[8]}));
  EXPECT_EQ(q.stats().active, 3u);
}

TEST(QueueLine, RateAdmitsOnePerIntervalInOrder) {
  queue_line q{make_cfg(0, 2.0)};  // 2 per second, no cap
  q.keep_admission_log(true);
  std::vector<uint64_t> seqs;
  for (user_id u = 1; u <= 30; ++u) seqs.push_back(join(q, u, t0));
  EXPECT_EQ(q.stats().active, 1u);  // a burst of one
  EXPECT_EQ(q.next_wakeup(), t0 + 500 * ms);
  for (time_us t = t0; t <= t0 + seconds_us(10); t += 100 * ms) q.advance(t);
  auto log = q.drain_admissions();
  ASSERT_EQ(log.size(), 21u);  // at 0, 0.5, ..., 10 s
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].seq, seqs[i]);
    EXPECT_EQ(log[i].at, t0 + static_cast<time_us>(i) * 500 * ms);
  }
}

TEST(QueueLine, RateCatchesUpInTimeOrderWhenAdvancedLate) {
  queue_line q{make_cfg(0, 2.0)};
  q.keep_admission_log(true);
  for (user_id u = 1; u <= 30; ++u) join(q, u, t0);
  q.advance(t0 + seconds_us(10));
  auto log = q.drain_admissions();
  ASSERT_EQ(log.size(), 21u);
  EXPECT_EQ(log.back().at, t0 + seconds_us(10));
}

TEST(QueueLine, RateDoesNotBankCreditBeyondOneAdmission) {
  queue_line q{make_cfg(0, 1.0)};
  q.keep_admission_log(true);
  join(q, 1, t0);
  for (user_id u = 2; u <= 5; ++u) join(q, u, t0 + seconds_us(100));  // 100 s quiet
  EXPECT_EQ(q.stats().active, 2u);                                    // one now, not a burst of 100
  EXPECT_EQ(q.next_wakeup(), t0 + seconds_us(101));
}

TEST(QueueLine, FractionalRateIsExactOverTime) {
  queue_line q{make_cfg(0, 3.0, 600, 1000)};  // 1/3 s does not divide a microsecond grid
  q.keep_admission_log(true);
  for (user_id u = 1; u <= 400; ++u) join(q, u, t0);
  q.advance(t0 + seconds_us(100));
  EXPECT_EQ(q.drain_admissions().size(), 301u);  // 0 s plus 3 per second for 100 s
}

TEST(QueueLine, CapAndRateTogether) {
  queue_line q{make_cfg(2, 1.0, 600, 600)};
  q.keep_admission_log(true);
  std::vector<uint64_t> seqs;
  for (user_id u = 1; u <= 5; ++u) seqs.push_back(join(q, u, t0));
  q.advance(t0 + seconds_us(5));
  auto first = q.drain_admissions();
  ASSERT_EQ(first.size(), 2u);  // the cap stops the rate
  EXPECT_EQ(first[1].at, t0 + seconds_us(1));
  EXPECT_FALSE(q.next_wakeup() < t0 + seconds_us(600));  // nothing until a TTL
  // Two leave at once: the cap frees two, the rate lets one in now and one a second later.
  EXPECT_EQ(q.end_user(1, t0 + seconds_us(10)), code::ok);
  EXPECT_EQ(q.end_user(2, t0 + seconds_us(10)), code::ok);
  q.advance(t0 + seconds_us(20));
  auto next = q.drain_admissions();
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].seq, seqs[2]);
  EXPECT_EQ(next[0].at, t0 + seconds_us(10));
  EXPECT_EQ(next[1].seq, seqs[3]);
  EXPECT_EQ(next[1].at, t0 + seconds_us(11));
}

TEST(QueueLine, NoLimitsAdmitsEveryoneAtOnce) {
  queue_line q{make_cfg(0, 0)};
  for (user_id u = 1; u <= 5; ++u) {
    auto t = q.issue(u, t0);
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->view.active);
  }
  EXPECT_EQ(q.stats().waiting, 0u);
}

// ---------------------------------------------------------------- wakeups

TEST(QueueLine, NextWakeupNamesTheEarliestDueEvent) {
  queue_line q{make_cfg(1, 0, 600, 60)};
  EXPECT_FALSE(q.next_wakeup());
  join(q, 1, t0);
  EXPECT_EQ(q.next_wakeup(), t0 + seconds_us(600));  // TTL
  join(q, 2, t0 + seconds_us(5));
  EXPECT_EQ(q.next_wakeup(), t0 + seconds_us(65));  // idle drop first
  q.advance(t0 + seconds_us(65));
  EXPECT_EQ(q.next_wakeup(), t0 + seconds_us(600));
  q.advance(t0 + seconds_us(600));
  EXPECT_FALSE(q.next_wakeup());
}

// ---------------------------------------------------------------- ETA and next poll

TEST(QueueLine, EtaFallsBackToTheConfiguredRate) {
  queue_line q{make_cfg(0, 2.0)};
  join(q, 1, t0);
  auto t = q.issue(2, t0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->view.position, 1u);
  EXPECT_EQ(t->view.eta_seconds, 1);  // ceil(1 * 0.5 s)
  for (user_id u = 3; u <= 100; ++u) join(q, u, t0);
  auto last = q.issue(100, t0);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->view.position, 99u);
  EXPECT_EQ(last->view.eta_seconds, 50);  // ceil(99 * 0.5)
}

TEST(QueueLine, EtaFallsBackToCapOverTtl) {
  queue_line q{make_cfg(10, 0, 600, 60)};  // 10 inside, 600 s each: one per 60 s
  for (user_id u = 1; u <= 10; ++u) join(q, u, t0);
  auto t = q.issue(11, t0);
  auto u = q.issue(12, t0);
  ASSERT_TRUE(t && u);
  EXPECT_EQ(t->view.eta_seconds, 60);
  EXPECT_EQ(u->view.eta_seconds, 120);
}

TEST(QueueLine, EtaFollowsTheMeasuredAdmissionPace) {
  queue_line q{make_cfg(1, 0, 600, 600)};
  std::vector<uint64_t> seqs;
  for (user_id u = 1; u <= 20; ++u) seqs.push_back(join(q, u, t0));
  // Each active fan pays after 4 s: the measured pace is one per 4 s, not 600 s.
  for (user_id u = 1; u <= 5; ++u) ASSERT_EQ(q.end_user(u, t0 + seconds_us(4 * u)), code::ok);
  auto v = view(q, seqs[10], 11, t0 + seconds_us(20));
  EXPECT_EQ(v.position, 5u);
  EXPECT_EQ(v.eta_seconds, 20);
}

TEST(QueueLine, NextPollGrowsWithEtaAndStaysWellUnderIdle) {
  queue_line q{make_cfg(0, 1.0, 600, 60)};
  join(q, 1, t0);  // admitted: the rest wait one second per place
  int64_t prev = 0;
  for (user_id u = 2; u <= 500; ++u) {
    auto t = q.issue(u, t0);
    ASSERT_TRUE(t);
    auto p = t->view.next_poll_seconds;
    EXPECT_GE(p, 1);
    EXPECT_LE(p, 20);  // a third of the idle timeout
    EXPECT_GE(p, prev);
    prev = p;
  }
  EXPECT_EQ(prev, 20);
  auto front = q.issue(2, t0);
  ASSERT_TRUE(front);
  EXPECT_EQ(front->view.next_poll_seconds, 1);
}

TEST(QueueLine, APoliteClientIsNeverDropped) {
  // A client that always polls when told stays in line until admitted.
  queue_line q{make_cfg(1, 0, 600, 60)};
  join(q, 1, t0);
  auto b = join(q, 2, t0);
  time_us t = t0;
  token_view v;
  while (true) {
    ASSERT_EQ(q.poll(b, 2, t, v), code::ok) << "dropped at " << (t - t0) / 1'000'000 << " s";
    if (v.active) break;
    t += seconds_us(v.next_poll_seconds);
  }
  EXPECT_EQ(q.stats().dropped_idle_total, 0u);
}

// ---------------------------------------------------------------- stats and the model

TEST(QueueLine, CountersBalance) {
  queue_line q{make_cfg(2, 1.0, 30, 10)};
  rng r{7};
  std::vector<std::pair<uint64_t, user_id>> mine;
  for (int step = 0; step < 2000; ++step) {
    auto now = t0 + step * 250 * ms;
    auto u = 1 + r.below(300);
    if (auto t = q.issue(u, now)) mine.emplace_back(t->seq, u);
    if (r.chance_ppm(200'000) && !mine.empty()) {
      auto& [s, who] = mine[r.below(mine.size())];
      q.leave(s, who, now);
    }
    if (r.chance_ppm(100'000)) q.end_user(1 + r.below(300), now);
    auto s = q.stats();
    ASSERT_EQ(s.issued_total,
              s.waiting + s.active + s.dropped_idle_total + s.expired_active_total + s.ended_total);
    ASSERT_LE(s.active, 2u);
  }
  EXPECT_GT(q.stats().dropped_idle_total, 0u);
  EXPECT_GT(q.stats().expired_active_total, 0u);
}

TEST(QueueLine, PositionsMatchANaiveModelAcrossCompactions) {
  // Cap 50 and a TTL far away: admissions then happen
  // only on leave/end, so a plain vector in seq order is an exact model of the line.
  queue_line q{make_cfg(50, 0, 1'000'000, 60)};
  q.keep_admission_log(true);
  struct waiter {
    uint64_t seq;
    user_id user;
    time_us last_poll;
  };
  std::vector<waiter> line;  // waiting, in seq order
  std::vector<std::pair<uint64_t, user_id>> inside;
  rng r{20240601};
  user_id next_user = 1;
  time_us now = t0;
  auto admit_model = [&] {
    while (inside.size() < 50 && !line.empty()) {
      inside.emplace_back(line.front().seq, line.front().user);
      line.erase(line.begin());
    }
  };
  for (int step = 0; step < 60'000; ++step) {
    now += r.below(20 * ms);
    // Model: drop waiters silent for 60 s (no admission can interleave: TTL is far).
    line.erase(std::remove_if(line.begin(), line.end(),
                              [&](const waiter& w) { return w.last_poll + seconds_us(60) <= now; }),
               line.end());
    auto op = r.below(100);
    if (op < 45) {
      auto u = next_user++;
      auto t = q.issue(u, now);
      ASSERT_TRUE(t);
      line.push_back({t->seq, u, now});
      admit_model();
    } else if (op < 65 && !line.empty()) {
      auto i = r.below(line.size());
      ASSERT_EQ(q.leave(line[i].seq, line[i].user, now), code::ok);
      line.erase(line.begin() + static_cast<long>(i));
    } else if (op < 80 && !inside.empty()) {
      auto i = r.below(inside.size());
      ASSERT_EQ(q.end_user(inside[i].second, now), code::ok);
      inside.erase(inside.begin() + static_cast<long>(i));
      admit_model();
    } else if (op < 97 && !line.empty()) {
      auto i = r.below(line.size());
      token_view v;
      ASSERT_EQ(q.poll(line[i].seq, line[i].user, now, v), code::ok);
      line[i].last_poll = now;
      ASSERT_EQ(v.position, i + 1) << "step " << step;
    } else {
      q.advance(now);
    }
    if (step % 5000 == 0 || step == 59'999) {
      for (size_t i = 0; i < line.size(); ++i)
        ASSERT_EQ(view(q, line[i].seq, line[i].user, now).position, i + 1) << "step " << step;
      for (auto& [s, u] : inside) ASSERT_EQ(q.check(s, u, now), code::ok);
      ASSERT_EQ(q.stats().waiting, line.size());
    }
  }
  EXPECT_GT(q.stats().dropped_idle_total, 1000u);  // the model's drop branch did run
  EXPECT_GT(q.stats().issued_total, 20'000u);
  auto log = q.drain_admissions();
  EXPECT_TRUE(
      std::is_sorted(log.begin(), log.end(), [](auto& a, auto& b) { return a.seq < b.seq; }));
}
