// Tests of the gate actor on CAF's deterministic scheduler with a virtual clock: FIFO
// admission under a cap and under a rate, idle drops, TTL expiry, leave and payment
// letting the next fan in, token checking, and that its timers fire exactly when due
// without piling up. The line's arithmetic is covered by tests/domain/queue_line_test.
#include "actors/gate_actor.hpp"

#include <gtest/gtest.h>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "actors/persistent_spawn.hpp"
#include "actors/token_codec.hpp"
#include "support/holding_writer.hpp"

using namespace concert;
using namespace std::chrono_literals;
using concert::testing::held_writes;
using concert::testing::holding_writer;

namespace concert {
/// Readable outcome names in failure messages.
void PrintTo(code c, std::ostream* os) { *os << code_name(c); }
}  // namespace concert

namespace {

constexpr time_us t0 = seconds_us(1'800'000'000);

struct test_config : caf::actor_system_config {
  test_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
  }
};

std::array<uint8_t, 32> key_of(uint8_t fill) {
  std::array<uint8_t, 32> k{};
  k.fill(fill);
  return k;
}

gate_config make_cfg(int64_t cap, double rate, int64_t ttl_s = 600, int64_t idle_s = 60) {
  gate_config c;
  c.max_active = cap;
  c.admit_per_second = rate;
  c.active_ttl = seconds_us(ttl_s);
  c.waiting_idle = seconds_us(idle_s);
  c.token_key = key_of(7);
  return c;
}

class GateActorTest : public ::testing::Test {
 protected:
  // Member order matters: config, system, scheduler, scoped actor, then actors.
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched =
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  caf::scoped_actor self{sys};
  time_base tb = make_time_base(sys, t0);
  gate_actor gate;
  store_actor writer;  ///< only in the tests with a holding writer

  ~GateActorTest() override {
    if (gate) caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    if (writer) caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void start(const gate_config& gc) {
    gate = spawn_gate(sys, gc, tb);
    sched.run();
  }

  /// Moves virtual time on in steps, running every message each step makes due.
  /// Returns how many timers fired.
  size_t wait(caf::timespan total, caf::timespan step = 100ms) {
    size_t fired = 0;
    for (caf::timespan done{0}; done < total; done += step) {
      fired += sched.advance_time(step);
      sched.run();
    }
    return fired;
  }

  template <class... Ts, class... Xs>
  std::tuple<Ts...> ask(Xs... xs) {
    std::tuple<Ts...> out{};
    auto h = self->request(gate, caf::infinite, xs...);
    sched.run();
    h.receive([&](Ts&... ys) { out = std::make_tuple(std::move(ys)...); },
              [&](caf::error& e) { ADD_FAILURE() << sys.render(e); });
    return out;
  }

  std::pair<code, token_view> issue(user_id u) {
    auto [c, v] = ask<code, token_view>(issue_atom::value, u);
    return {c, v};
  }
  std::string token_of(user_id u) { return issue(u).second.token; }
  std::pair<code, token_view> poll(const std::string& t) {
    auto [c, v] = ask<code, token_view>(poll_atom::value, t);
    return {c, v};
  }
  code check(const std::string& t) { return std::get<0>(ask<code, user_id>(check_atom::value, t)); }
  code leave(const std::string& t) { return std::get<0>(ask<code>(leave_atom::value, t)); }
  code end(user_id u) { return std::get<0>(ask<code>(end_atom::value, u)); }
  gate_stats stats() { return std::get<0>(ask<gate_stats>(stats_atom::value)); }

  /// A gate over a holding writer, which the fixture keeps in `writer`.
  std::shared_ptr<held_writes> start_held(const gate_config& gc) {
    auto held = std::make_shared<held_writes>();
    writer = sys.spawn(holding_writer, held);
    gate = spawn_gate_persistent(sys, gc, tb, gate_recovery{}, writer);
    sched.run();
    return held;
  }
  /// Acknowledges (or fails) every write the holding writer holds.
  void release(bool fail = false) {
    concert::testing::release(writer, fail);
    sched.run();
  }

  /// Issues `u` a token through the holding writer and acknowledges its write.
  std::string issue_settled(user_id u) {
    auto rh = self->request(gate, caf::infinite, issue_atom::value, u);
    sched.run();
    release();
    std::string token;
    rh.receive([&](code, const token_view& v) { token = v.token; },
               [&](caf::error& e) { ADD_FAILURE() << sys.render(e); });
    return token;
  }

  /// Pending timer deadlines on the virtual clock, as epoch microseconds.
  std::vector<time_us> pending_timers() {
    std::vector<time_us> out;
    auto& clock = dynamic_cast<caf::detail::test_actor_clock&>(sys.clock());
    for (auto& entry : clock.schedule())
      out.push_back(
          t0 +
          std::chrono::duration_cast<std::chrono::microseconds>(entry.first - tb.start).count());
    return out;
  }
};

}  // namespace

TEST_F(GateActorTest, IssueGivesASignedTokenAndReissueTheSameOne) {
  start(make_cfg(1, 0));
  auto [c1, first] = issue(7);
  EXPECT_EQ(c1, code::created);
  EXPECT_TRUE(first.active);
  EXPECT_EQ(first.user, 7u);
  EXPECT_EQ(first.token.size(), token_codec::token_chars);
  auto [c2, waiting] = issue(8);
  EXPECT_EQ(c2, code::created);
  EXPECT_FALSE(waiting.active);
  EXPECT_EQ(waiting.position, 1u);
  EXPECT_EQ(waiting.expires_at, t0 + seconds_us(60));
  auto [c3, again] = issue(8);
  EXPECT_EQ(c3, code::ok);
  EXPECT_EQ(again.token, waiting.token);
  auto decoded = token_codec{key_of(7)}.decode(waiting.token);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->user, 8u);
  EXPECT_EQ(issue(0).first, code::invalid_request);
}

TEST_F(GateActorTest, AFullLineAnswersUnavailableToNewcomersOnly) {
  auto gc = make_cfg(1, 0);
  gc.max_waiting = 1;
  start(gc);
  EXPECT_EQ(issue(1).first, code::created);  // active
  EXPECT_EQ(issue(2).first, code::created);  // the one waiter
  auto [c, v] = issue(3);
  EXPECT_EQ(c, code::unavailable);
  EXPECT_TRUE(v.token.empty());
  EXPECT_EQ(issue(2).first, code::ok) << "the waiter still gets its token back";
  EXPECT_EQ(stats().issued_total, 2u);
}

TEST_F(GateActorTest, PollReportsStatusAndCheckGuardsRoutes) {
  start(make_cfg(1, 0));
  auto a = token_of(1);
  auto b = token_of(2);
  auto [pc, pv] = poll(b);
  EXPECT_EQ(pc, code::ok);
  EXPECT_EQ(pv.token, b);
  EXPECT_EQ(pv.position, 1u);
  EXPECT_GE(pv.next_poll_seconds, 1);
  EXPECT_LE(pv.next_poll_seconds, 20);
  EXPECT_EQ(check(a), code::ok);
  EXPECT_EQ(check(b), code::queue_not_admitted);
  auto [cc, who] = ask<code, user_id>(check_atom::value, a);
  EXPECT_EQ(cc, code::ok);
  EXPECT_EQ(who, 1u);
}

TEST_F(GateActorTest, BatchedPollAnswersEachTokenInOrderAsASinglePollWould) {
  start(make_cfg(1, 0));
  auto active = token_of(1);
  auto second = token_of(2);
  auto third = token_of(3);
  auto left = token_of(4);
  EXPECT_EQ(leave(left), code::ok);
  std::vector<std::string> batch{third, "garbage", active, left, second, third};
  auto [answers] = ask<std::vector<poll_answer>>(poll_atom::value, batch);
  ASSERT_EQ(answers.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto [c, v] = poll(batch[i]);
    EXPECT_EQ(answers[i].status, c) << "token " << i;
    EXPECT_EQ(answers[i].view.token, v.token) << "token " << i;
    EXPECT_EQ(answers[i].view.position, v.position) << "token " << i;
    EXPECT_EQ(answers[i].view.active, v.active) << "token " << i;
  }
  EXPECT_EQ(answers[0].view.position, 2u);
  EXPECT_EQ(answers[1].status, code::token_invalid);
  EXPECT_TRUE(answers[2].view.active);
  EXPECT_NE(answers[3].status, code::ok);
  EXPECT_EQ(answers[4].view.position, 1u);
  auto [none] = ask<std::vector<poll_answer>>(poll_atom::value, std::vector<std::string>{});
  EXPECT_TRUE(none.empty());
}

TEST_F(GateActorTest, ForgedAndGarbageTokensAreInvalid) {
  start(make_cfg(1, 0));
  auto genuine = token_of(1);
  auto forged = token_codec{key_of(9)}.encode(1, 1);  // right claims, wrong key
  auto altered = genuine;
  altered[3] = altered[3] == 'A' ? 'B' : 'A';
  for (const std::string& t : {forged, altered, std::string{}, std::string{"Bearer x"}}) {
    EXPECT_EQ(poll(t).first, code::token_invalid);
    EXPECT_EQ(check(t), code::token_invalid);
    EXPECT_EQ(leave(t), code::token_invalid);
  }
  EXPECT_EQ(check(genuine), code::ok);
}

TEST_F(GateActorTest, FifoAdmissionUnderCap) {
  start(make_cfg(2, 0));
  std::vector<std::string> t;
  for (user_id u = 1; u <= 6; ++u) t.push_back(token_of(u));
  EXPECT_EQ(check(t[0]), code::ok);
  EXPECT_EQ(check(t[1]), code::ok);
  EXPECT_EQ(check(t[2]), code::queue_not_admitted);
  EXPECT_EQ(end(1), code::ok);  // paid: the next in line comes in at once
  EXPECT_EQ(check(t[2]), code::ok);
  EXPECT_EQ(check(t[3]), code::queue_not_admitted);
  EXPECT_EQ(leave(t[4]), code::ok);  // a waiter leaves
  EXPECT_EQ(leave(t[1]), code::ok);  // an active one leaves: 4 comes in, not 6 ahead of it
  EXPECT_EQ(check(t[3]), code::ok);
  EXPECT_EQ(check(t[5]), code::queue_not_admitted);
  EXPECT_EQ(poll(t[5]).second.position, 1u);
  auto s = stats();
  EXPECT_EQ(s.admitted_total, 4u);
  EXPECT_EQ(s.ended_total, 3u);
}

TEST_F(GateActorTest, RateAdmitsTwoPerSecondInOrderOnItsOwnTimers) {
  start(make_cfg(0, 2.0));
  std::vector<std::string> t;
  for (user_id u = 1; u <= 40; ++u) t.push_back(token_of(u));
  // Only the gate's own ticks move the line: one fires every 0.5 s, nothing else.
  EXPECT_EQ(wait(10s), 20u);
  for (size_t i = 0; i < t.size(); ++i)
    EXPECT_EQ(check(t[i]), i < 21 ? code::ok : code::queue_not_admitted) << "fan " << i + 1;
  auto [c, v] = poll(t[30]);
  EXPECT_EQ(c, code::ok);
  EXPECT_EQ(v.position, 10u);   // fans 22..30 are ahead
  EXPECT_EQ(v.eta_seconds, 5);  // measured pace: one per 0.5 s
  EXPECT_EQ(stats().admitted_total, 21u);
}

TEST_F(GateActorTest, IdleWaiterIsDroppedAtTheTimeoutByATimer) {
  start(make_cfg(1, 0, 600, 60));
  auto a = token_of(1);
  auto b = token_of(2);
  EXPECT_EQ(sched.advance_time(60s - 1ms), 0u);
  sched.run();
  EXPECT_EQ(check(b), code::queue_not_admitted);  // check is no sign of life
  EXPECT_EQ(sched.advance_time(1ms), 1u);         // the drop's tick, exactly at 60 s
  sched.run();
  EXPECT_EQ(check(b), code::token_expired);
  EXPECT_EQ(check(a), code::ok);
  auto s = stats();
  EXPECT_EQ(s.dropped_idle_total, 1u);
  EXPECT_EQ(s.waiting, 0u);
}

TEST_F(GateActorTest, PollingKeepsAWaiterInLine) {
  start(make_cfg(1, 0, 600, 60));
  token_of(1);
  auto b = token_of(2);
  for (int i = 0; i < 10; ++i) {
    wait(30s, 1s);
    ASSERT_EQ(poll(b).first, code::ok) << "after " << (i + 1) * 30 << " s";
  }
  EXPECT_EQ(stats().dropped_idle_total, 0u);
}

TEST_F(GateActorTest, ActiveTokenExpiresAfterItsTtlAndTheNextComesIn) {
  start(make_cfg(1, 0, 120, 60));
  auto a = token_of(1);
  auto b = token_of(2);
  for (int i = 0; i < 5; ++i) {
    wait(20s, 1s);  // 20 .. 100 s
    ASSERT_EQ(poll(b).first, code::ok);
  }
  wait(20s - 1ms, 1ms);  // up to 1 ms before the TTL
  EXPECT_EQ(check(a), code::ok);
  EXPECT_EQ(sched.advance_time(1ms), 1u);
  sched.run();
  EXPECT_EQ(check(a), code::token_expired);
  EXPECT_EQ(check(b), code::ok);
  auto [c, v] = poll(b);
  EXPECT_EQ(v.expires_at, t0 + seconds_us(240));  // admitted at exactly 120 s
  EXPECT_EQ(stats().expired_active_total, 1u);
}

TEST_F(GateActorTest, LeaveAdmitsTheNextAtOnce) {
  start(make_cfg(1, 0));
  auto a = token_of(1);
  auto b = token_of(2);
  wait(5s);
  EXPECT_EQ(leave(a), code::ok);
  EXPECT_EQ(check(b), code::ok);
  EXPECT_EQ(poll(b).second.expires_at, t0 + seconds_us(5 + 600));
  EXPECT_EQ(leave(a), code::token_expired);
  EXPECT_EQ(check(a), code::token_expired);
}

TEST_F(GateActorTest, EndAdmitsTheNextAtOnce) {
  start(make_cfg(1, 0));
  token_of(1);
  auto b = token_of(2);
  EXPECT_EQ(end(2), code::token_expired);  // waiting: not its payment
  EXPECT_EQ(end(1), code::ok);
  EXPECT_EQ(check(b), code::ok);
  EXPECT_EQ(end(1), code::token_expired);
  EXPECT_EQ(end(99), code::token_expired);
}

TEST_F(GateActorTest, TimersSitAtTheNextDueEventWithoutDuplicates) {
  start(make_cfg(1, 0, 600, 60));
  EXPECT_TRUE(pending_timers().empty());
  token_of(1);
  EXPECT_EQ(pending_timers(), (std::vector<time_us>{t0 + seconds_us(600)}));
  auto b = token_of(2);
  for (int i = 0; i < 5; ++i) poll(b);
  EXPECT_EQ(pending_timers(), (std::vector<time_us>{t0 + seconds_us(60), t0 + seconds_us(600)}));
  wait(10s);
  poll(b);  // the drop moves to 70 s; the tick at 60 s will re-arm then
  EXPECT_EQ(pending_timers().size(), 2u);
  wait(50s);
  EXPECT_EQ(check(b), code::queue_not_admitted);
  auto timers = pending_timers();
  ASSERT_FALSE(timers.empty());
  EXPECT_EQ(timers.front(), t0 + seconds_us(70));
  EXPECT_LE(timers.size(), 2u);
}

TEST_F(GateActorTest, AdmissionLogListsAdmissionsInIssueOrder) {
  auto cfg = make_cfg(1, 0);
  cfg.log_admissions = true;
  start(cfg);
  std::vector<std::string> tokens;
  for (user_id u = 1; u <= 4; ++u) tokens.push_back(token_of(u));
  EXPECT_EQ(leave(tokens[2]), code::ok);  // user 3 leaves the line: never admitted
  EXPECT_EQ(end(1), code::ok);            // 2 comes in
  EXPECT_EQ(end(2), code::ok);            // then 4 (3 left)
  auto log = std::get<0>(ask<std::vector<uint64_t>>(admissions_atom::value));
  ASSERT_EQ(log.size(), 3u);
  std::vector<uint64_t> seqs;
  for (user_id u : {1, 2, 4}) seqs.push_back(token_codec{key_of(7)}.decode(tokens[u - 1])->seq);
  EXPECT_EQ(log, seqs);
}

TEST_F(GateActorTest, AdmissionLogIsEmptyUnlessAskedFor) {
  start(make_cfg(1, 0));
  token_of(1);
  EXPECT_TRUE(std::get<0>(ask<std::vector<uint64_t>>(admissions_atom::value)).empty());
}

TEST_F(GateActorTest, WithAStoreACheckWaitsOnlyWhileItsOwnTokenHasAWriteInFlight) {
  auto held = start_held(make_cfg(10, 0));
  auto fail = [&](caf::error& e) { ADD_FAILURE() << sys.render(e); };
  auto a = issue_settled(1);
  auto b = issue_settled(2);

  // b leaves; the leave's write is not acknowledged yet.
  auto leave_b = self->request(gate, caf::infinite, leave_atom::value, b);
  sched.run();
  ASSERT_EQ(held->waiting.size(), 1u);
  auto check_a = self->request(gate, caf::infinite, check_atom::value, a);
  sched.run();
  EXPECT_FALSE(self->mailbox().empty()) << "a's check does not wait for b's write";
  check_a.receive(
      [&](code c, user_id u) {
        EXPECT_EQ(c, code::ok);
        EXPECT_EQ(u, 1u);
      },
      fail);
  auto check_b = self->request(gate, caf::infinite, check_atom::value, b);
  sched.run();
  EXPECT_TRUE(self->mailbox().empty()) << "b's check would show the leave: it waits";
  release();
  EXPECT_FALSE(self->mailbox().empty());
  leave_b.receive([&](code c) { EXPECT_EQ(c, code::ok); }, fail);
  check_b.receive([&](code c, user_id) { EXPECT_EQ(c, code::token_expired); }, fail);

  // The end of a payer's token answers once its write is queued: the wallet's next
  // write follows it through the same writer.
  auto end_a = self->request(gate, caf::infinite, end_atom::value, user_id{1});
  sched.run();
  EXPECT_EQ(held->waiting.size(), 1u);
  EXPECT_FALSE(self->mailbox().empty()) << "the end does not wait for its fsync";
  end_a.receive([&](code c) { EXPECT_EQ(c, code::ok); }, fail);
  release();
}

TEST_F(GateActorTest, WithAStoreAFailedWriteFailsEveryLaterCheck) {
  start_held(make_cfg(10, 0));
  auto a = issue_settled(1);
  auto b = issue_settled(2);
  auto leave_b = self->request(gate, caf::infinite, leave_atom::value, b);
  sched.run();
  release(/*fail=*/true);
  int errors = 0;
  auto count_error = [&](caf::error&) { ++errors; };
  leave_b.receive([&](code) { ADD_FAILURE() << "the leave answered"; }, count_error);
  auto check_a = self->request(gate, caf::infinite, check_atom::value, a);
  sched.run();
  check_a.receive([&](code, user_id) { ADD_FAILURE() << "a's check answered"; }, count_error);
  auto end_a = self->request(gate, caf::infinite, end_atom::value, user_id{1});
  sched.run();
  end_a.receive([&](code) { ADD_FAILURE() << "the end answered"; }, count_error);
  EXPECT_EQ(errors, 3) << "the leave, and every later check and end, fail";
}
