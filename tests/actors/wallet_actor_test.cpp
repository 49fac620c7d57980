// The wallet registry and per-user wallets on CAF's deterministic scheduler, talking to
// stub gate and catalog actors defined here (so failures and slow replies can be
// injected): concurrent charges, the two-phase payment and its idempotency, the hold
// limit on virtual time, and passivation without losing a request.

#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "actors/wallet_actor.hpp"
#include "actors/wallet_registry.hpp"
#include "simulation/virtual_time.hpp"

using namespace concert;
using namespace std::chrono_literals;

namespace {

constexpr time_us epoch = seconds_us(1'800'000'000);
constexpr points seat_price = 1000;

// ---- stub catalog: seats by reservation id, with switches for failures ----

struct stub_seat {
  user_id user = 0;
  time_us expires_at = 0;
  seat_status status = seat_status::held;
};

struct stub_catalog_state {
  time_base tb;
  time_us hold_time = seconds_us(300);
  reservation_id next_rid = 100;
  std::map<reservation_id, stub_seat> seats;
  std::optional<code> lock_reply;  ///< forced answer to lock
  std::optional<code> sell_reply;  ///< forced answer to sell
  bool park_locks = false;         ///< keep lock requests unanswered (a slow catalog)
  bool drop_sells = false;         ///< never answer sells (their answer is lost)
  std::vector<std::tuple<caf::typed_response_promise<code>, user_id, reservation_id>> parked_locks;
  int holds = 0, locks = 0, sells = 0, unlocks = 0;
};

code stub_lock(catalog_actor::stateful_pointer<stub_catalog_state> self, user_id u,
               reservation_id rid) {
  auto& st = self->state;
  auto i = st.seats.find(rid);
  if (i == st.seats.end() || i->second.user != u) return code::reservation_not_found;
  if (i->second.status != seat_status::held) return code::reservation_not_payable;
  if (st.tb.now(self->clock()) >= i->second.expires_at) return code::reservation_expired;
  i->second.status = seat_status::paying;
  return code::ok;
}

catalog_actor::behavior_type stub_catalog(catalog_actor::stateful_pointer<stub_catalog_state> self,
                                          time_base tb) {
  self->state.tb = tb;
  return {
      [](concerts_atom) { return std::vector<concert_info>{}; },
      [](schedules_atom, concert_id) {
        return std::make_tuple(code::ok, std::vector<schedule_info>{});
      },
      [](seats_atom, schedule_id, bool) {
        return std::make_tuple(code::ok, std::vector<seat_info>{});
      },
      [=](hold_atom, user_id u, schedule_id s, seat_no n) {
        auto& st = self->state;
        ++st.holds;
        auto now = st.tb.now(self->clock());
        reservation r{st.next_rid++,     u, s, n, seat_price, reservation_status::held,
                      now + st.hold_time};
        st.seats[r.id] = stub_seat{u, r.expires_at, seat_status::held};
        return std::make_tuple(code::created, r);
      },
      [=](lock_atom, user_id u, reservation_id rid) -> caf::typed_response_promise<code> {
        auto& st = self->state;
        ++st.locks;
        auto rp = self->make_response_promise<code>();
        if (st.park_locks)
          st.parked_locks.emplace_back(rp, u, rid);
        else
          rp.deliver(st.lock_reply ? *st.lock_reply : stub_lock(self, u, rid));
        return rp;
      },
      [=](sell_atom, user_id, reservation_id rid) -> caf::typed_response_promise<code> {
        auto& st = self->state;
        ++st.sells;
        auto rp = self->make_response_promise<code>();
        if (st.drop_sells) return rp;  // the caller's step timeout answers it
        if (st.sell_reply) return rp.deliver(*st.sell_reply);
        auto i = st.seats.find(rid);
        if (i != st.seats.end() && i->second.status == seat_status::sold)
          return rp.deliver(code::ok);  // as the real block: this reservation bought it
        if (i == st.seats.end() || i->second.status != seat_status::paying)
          return rp.deliver(code::reservation_not_payable);
        i->second.status = seat_status::sold;
        return rp.deliver(code::ok);
      },
      [=](unlock_atom, user_id, reservation_id rid) {
        auto& st = self->state;
        ++st.unlocks;
        auto i = st.seats.find(rid);
        if (i == st.seats.end() || i->second.status != seat_status::paying)
          return code::reservation_not_payable;
        i->second.status = seat_status::held;
        return code::ok;
      },
      // Promises must be delivered inside the actor, so stats doubles as the test's
      // button that answers the parked (slow) locks.
      [=](stats_atom) {
        auto& st = self->state;
        for (auto& [rp, u, rid] : st.parked_locks) rp.deliver(stub_lock(self, u, rid));
        st.parked_locks.clear();
        return seat_stats{};
      },
  };
}

// ---- stub gate: only counts the ends ----

struct stub_gate_state {
  std::vector<user_id> ended;
};

gate_actor::behavior_type stub_gate(gate_actor::stateful_pointer<stub_gate_state> self) {
  return {
      [](issue_atom, user_id) { return std::make_tuple(code::created, token_view{}); },
      [](poll_atom, const std::string&) { return std::make_tuple(code::ok, token_view{}); },
      [](poll_atom, const std::vector<std::string>&) { return std::vector<poll_answer>{}; },
      [](check_atom, const std::string&) { return std::make_tuple(code::ok, user_id{0}); },
      [](leave_atom, const std::string&) { return code::ok; },
      [=](end_atom, user_id u) {
        self->state.ended.push_back(u);
        return code::ok;
      },
      [](stats_atom) { return gate_stats{}; },
      [](admissions_atom) { return std::vector<uint64_t>{}; },
      [](tick_atom) {},
  };
}

struct test_config : caf::actor_system_config {
  test_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    set("logger.console-verbosity", caf::atom("quiet"));
  }
};

template <class State, class Handle>
State& state_of(const Handle& h) {
  using base = typename Handle::template stateful_base<State>;
  return dynamic_cast<base&>(*caf::actor_cast<caf::abstract_actor*>(h)).state;
}

class WalletActorTest : public ::testing::Test {
 protected:
  test_config cfg;  // member order matters: cfg, sys, sched, self, actors
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched =
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  caf::scoped_actor self{sys};
  time_base tb = make_time_base(sys, epoch);
  std::shared_ptr<memory_wallet_archive> archive = std::make_shared<memory_wallet_archive>();
  catalog_actor catalog = sys.spawn(stub_catalog, tb);
  gate_actor gate = sys.spawn(stub_gate);
  wallet_config wcfg = [] {
    wallet_config c;
    c.max_balance = 100'000'000;
    c.max_holds_per_user = 4;
    c.idle_timeout = seconds_us(60);
    return c;
  }();
  wallet_registry_actor wallets;

  void SetUp() override { start(); }

  /// Spawns the registry with the current `wcfg` (tests may change it and restart).
  void start() {
    if (wallets) caf::anon_send_exit(wallets, caf::exit_reason::user_shutdown);
    wallets = spawn_wallet_registry(sys, wcfg, catalog, gate, tb, archive);
    sched.run();
  }

  ~WalletActorTest() override {
    caf::anon_send_exit(wallets, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(catalog, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    sched.run();
  }

  stub_catalog_state& seats() { return state_of<stub_catalog_state>(catalog); }
  time_us now() { return tb.now(sys.clock()); }

  /// Receives the reply of `h`, which must already be in the mailbox (no blocking wait).
  template <class... Rs, class Handle>
  caf::expected<std::tuple<Rs...>> reply_of(Handle& h) {
    if (self->mailbox().empty()) return caf::make_error(caf::sec::request_timeout, "no reply");
    caf::expected<std::tuple<Rs...>> res = caf::sec::unexpected_response;
    h.receive([&](Rs&... xs) { res = std::make_tuple(xs...); },
              [&](caf::error& e) { res = std::move(e); });
    return res;
  }

  /// One request to the registry, run to completion.
  template <class... Rs, class... Ts>
  caf::expected<std::tuple<Rs...>> ask(const Ts&... xs) {
    auto h = self->request(wallets, caf::infinite, xs...);
    sched.run();
    return reply_of<Rs...>(h);
  }

  std::tuple<code, points> charge(user_id u, points amount) {
    auto r = ask<code, points>(charge_atom::value, u, amount);
    EXPECT_TRUE(r) << sys.render(r.error());
    return r ? *r : std::tuple<code, points>{code::unavailable, -1};
  }
  points balance(user_id u) {
    auto r = ask<points>(balance_atom::value, u);
    EXPECT_TRUE(r) << sys.render(r.error());
    return r ? std::get<0>(*r) : -1;
  }
  std::vector<history_entry> history(user_id u) {
    auto r = ask<std::vector<history_entry>>(history_atom::value, u);
    EXPECT_TRUE(r) << sys.render(r.error());
    return r ? std::get<0>(*r) : std::vector<history_entry>{};
  }
  std::tuple<code, reservation> hold(user_id u, seat_no seat) {
    auto r = ask<code, reservation>(hold_atom::value, u, schedule_id{1}, seat);
    EXPECT_TRUE(r) << sys.render(r.error());
    return r ? *r : std::tuple<code, reservation>{code::unavailable, {}};
  }
  std::tuple<code, reservation> resv(user_id u, reservation_id rid) {
    auto r = ask<code, reservation>(resv_atom::value, u, rid);
    EXPECT_TRUE(r) << sys.render(r.error());
    return r ? *r : std::tuple<code, reservation>{code::unavailable, {}};
  }
  caf::expected<std::tuple<code, payment>> pay(user_id u, reservation_id rid,
                                               const std::string& key) {
    return ask<code, payment>(pay_atom::value, u, rid, key);
  }
  wallet_stats stats() {
    auto r = ask<wallet_stats>(stats_atom::value);
    EXPECT_TRUE(r);
    return r ? std::get<0>(*r) : wallet_stats{};
  }
  /// Lets virtual time pass, each timer firing at its own time (the registry's idle
  /// sweep is periodic), then runs everything that became due.
  void pass(time_us d) {
    sim::run_until(sched, sched.clock().now() + std::chrono::microseconds(d));
  }
  /// A user with `points` points and one fresh hold; returns its reservation id.
  reservation_id user_with_hold(user_id u, points amount) {
    if (amount > 0) {
      EXPECT_EQ(std::get<0>(charge(u, amount)), code::ok);
    }
    auto [c, r] = hold(u, 17);
    EXPECT_EQ(c, code::created);
    return r.id;
  }
};

void expect_same(const payment& a, const payment& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.reservation, b.reservation);
  EXPECT_EQ(a.user, b.user);
  EXPECT_EQ(a.amount, b.amount);
  EXPECT_EQ(a.balance, b.balance);
  EXPECT_EQ(a.paid_at, b.paid_at);
}

}  // namespace

TEST_F(WalletActorTest, ThousandConcurrentChargesToOneUserSumExactly) {
  std::vector<decltype(self->request(wallets, caf::infinite, charge_atom::value, user_id{1},
                                     points{1}))>
      pending;
  points expected = 0;
  for (points i = 1; i <= 1000; ++i) {
    pending.push_back(self->request(wallets, caf::infinite, charge_atom::value, user_id{1}, i));
    expected += i;
  }
  sched.run();
  // Every charge has its reply waiting (reply_of fails on an empty mailbox), and no more.
  // Not mailbox().size(): it walks CAF's queue in a way UBSan reports.
  std::vector<points> balances;
  for (auto& h : pending) {
    auto r = reply_of<code, points>(h);
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<0>(*r), code::ok);
    balances.push_back(std::get<1>(*r));
  }
  EXPECT_TRUE(self->mailbox().empty());
  EXPECT_EQ(balance(1), expected);
  EXPECT_EQ(history(1).size(), 1000u);
  std::sort(balances.begin(), balances.end());
  EXPECT_EQ(std::unique(balances.begin(), balances.end()), balances.end());  // all distinct
  EXPECT_EQ(balances.back(), expected);
}

TEST_F(WalletActorTest, ChargeRefusesInvalidAmountsAndTheMaximum) {
  EXPECT_EQ(charge(1, 0), std::make_tuple(code::invalid_amount, points{0}));
  EXPECT_EQ(charge(1, -3), std::make_tuple(code::invalid_amount, points{0}));
  EXPECT_EQ(charge(1, wcfg.max_balance), std::make_tuple(code::ok, wcfg.max_balance));
  EXPECT_EQ(charge(1, 1), std::make_tuple(code::invalid_amount, wcfg.max_balance));
}

TEST_F(WalletActorTest, NeverSeenUserHasZeroBalanceAndLeavesNoTrace) {
  EXPECT_EQ(balance(42), 0);
  EXPECT_TRUE(history(42).empty());
  EXPECT_EQ(std::get<0>(resv(42, 5)), code::reservation_not_found);
  auto p = pay(42, 5, "k");
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<0>(*p), code::reservation_not_found);
  auto s = stats();
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.activated_total, 0u);
  EXPECT_EQ(archive->size(), 0u);
  // A refused charge does spawn a wallet, but an empty one is never archived.
  EXPECT_EQ(std::get<0>(charge(43, 0)), code::invalid_amount);
  pass(wcfg.idle_timeout);
  EXPECT_EQ(stats().live, 0u);
  EXPECT_EQ(archive->size(), 0u);
}

TEST_F(WalletActorTest, PaymentSellsTheSeatEndsTheTokenAndConfirms) {
  auto rid = user_with_hold(1, 5000);
  auto paid_at = now();
  auto p = pay(1, rid, "key-1");
  ASSERT_TRUE(p) << sys.render(p.error());
  auto [c, pm] = *p;
  EXPECT_EQ(c, code::created);
  EXPECT_EQ(pm.id, rid);
  EXPECT_EQ(pm.reservation, rid);
  EXPECT_EQ(pm.user, 1u);
  EXPECT_EQ(pm.amount, seat_price);
  EXPECT_EQ(pm.balance, 5000 - seat_price);
  EXPECT_EQ(pm.paid_at, paid_at);
  EXPECT_EQ(seats().seats.at(rid).status, seat_status::sold);
  EXPECT_EQ(state_of<stub_gate_state>(gate).ended, std::vector<user_id>{1});
  auto [rc, r] = resv(1, rid);
  EXPECT_EQ(rc, code::ok);
  EXPECT_EQ(r.status, reservation_status::confirmed);
  auto h = history(1);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].kind, history_kind::payment);
  EXPECT_EQ(h[0].amount, seat_price);
  EXPECT_EQ(h[0].balance, 5000 - seat_price);
  EXPECT_EQ(h[1].kind, history_kind::charge);
}

TEST_F(WalletActorTest, DuplicatePaymentWithTheSameKeyChargesOnce) {
  auto rid = user_with_hold(1, 5000);
  auto first = pay(1, rid, "key-1");
  pass(seconds_us(10));
  auto second = pay(1, rid, "key-1");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(std::get<0>(*second), code::created);
  expect_same(std::get<1>(*first), std::get<1>(*second));
  EXPECT_EQ(balance(1), 4000);
  EXPECT_EQ(seats().locks, 1);
  EXPECT_EQ(seats().sells, 1);
}

TEST_F(WalletActorTest, DuplicatePaymentWithoutKeyIsNotPayable) {
  auto rid = user_with_hold(1, 5000);
  auto first = pay(1, rid, "");
  auto second = pay(1, rid, "");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(std::get<0>(*first), code::created);
  EXPECT_EQ(std::get<0>(*second), code::reservation_not_payable);
  EXPECT_EQ(balance(1), 4000);
  EXPECT_EQ(seats().locks, 1);
}

TEST_F(WalletActorTest, TwoPaymentsWithTheSameKeyInFlightGetTheOneResult) {
  auto rid = user_with_hold(1, 5000);
  auto h1 =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, rid, std::string{"k"});
  auto h2 =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, rid, std::string{"k"});
  auto h3 =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, rid, std::string{"other"});
  sched.run();
  auto r1 = reply_of<code, payment>(h1);
  auto r2 = reply_of<code, payment>(h2);
  auto r3 = reply_of<code, payment>(h3);
  ASSERT_TRUE(r1);
  ASSERT_TRUE(r2);
  ASSERT_TRUE(r3);
  EXPECT_EQ(std::get<0>(*r1), code::created);
  EXPECT_EQ(std::get<0>(*r2), code::created);
  expect_same(std::get<1>(*r1), std::get<1>(*r2));
  EXPECT_EQ(std::get<0>(*r3), code::reservation_not_payable);  // another key while paying
  EXPECT_EQ(balance(1), 4000);
  EXPECT_EQ(seats().locks, 1);
}

TEST_F(WalletActorTest, InsufficientPointsChangesNothingAndUnlocksTheSeat) {
  auto rid = user_with_hold(1, seat_price - 1);
  auto deadline = seats().seats.at(rid).expires_at;
  auto p = pay(1, rid, "k");
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<0>(*p), code::insufficient_points);
  EXPECT_EQ(balance(1), seat_price - 1);
  EXPECT_EQ(history(1).size(), 1u);
  EXPECT_EQ(seats().unlocks, 1);
  EXPECT_EQ(seats().sells, 0);
  EXPECT_EQ(seats().seats.at(rid).status, seat_status::held);
  auto [rc, r] = resv(1, rid);
  EXPECT_EQ(rc, code::ok);
  EXPECT_EQ(r.status, reservation_status::held);
  EXPECT_EQ(r.expires_at, deadline);  // a refusal never extends the hold
  EXPECT_TRUE(state_of<stub_gate_state>(gate).ended.empty());
  // The refusal is remembered under its key; a new key after charging pays.
  EXPECT_EQ(std::get<0>(charge(1, 1)), code::ok);
  EXPECT_EQ(std::get<0>(*pay(1, rid, "k")), code::insufficient_points);
  EXPECT_EQ(std::get<0>(*pay(1, rid, "k2")), code::created);
  EXPECT_EQ(balance(1), 0);
}

TEST_F(WalletActorTest, LockRefusedAsExpiredGivesReservationExpiredAndNoDebit) {
  auto rid = user_with_hold(1, 5000);
  seats().lock_reply = code::reservation_expired;
  auto p = pay(1, rid, "k");
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<0>(*p), code::reservation_expired);
  EXPECT_EQ(balance(1), 5000);
  EXPECT_EQ(history(1).size(), 1u);
  EXPECT_EQ(seats().sells, 0);
}

TEST_F(WalletActorTest, WalletRefusesAnExpiredHoldWithoutAskingTheCatalog) {
  auto rid = user_with_hold(1, 5000);
  pass(seconds_us(300));
  EXPECT_EQ(std::get<1>(resv(1, rid)).status, reservation_status::expired);
  auto p = pay(1, rid, "");
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<0>(*p), code::reservation_expired);
  EXPECT_EQ(seats().locks, 0);
  EXPECT_EQ(balance(1), 5000);
}

TEST_F(WalletActorTest, SellRefusedGivesThePointsBack) {
  auto rid = user_with_hold(1, 5000);
  seats().sell_reply = code::reservation_not_payable;
  auto p = pay(1, rid, "k");
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<0>(*p), code::reservation_not_payable);
  EXPECT_EQ(balance(1), 5000);
  auto h = history(1);
  ASSERT_EQ(h.size(), 3u);  // charge, payment, its reversal
  EXPECT_EQ(h[0].amount, -seat_price);
  EXPECT_TRUE(state_of<stub_gate_state>(gate).ended.empty());
}

TEST_F(WalletActorTest, OtherUsersReservationIsNotFound) {
  auto rid = user_with_hold(1, 5000);
  ASSERT_EQ(std::get<0>(charge(2, 5000)), code::ok);
  EXPECT_EQ(std::get<0>(resv(2, rid)), code::reservation_not_found);
  auto p = pay(2, rid, "");
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<0>(*p), code::reservation_not_found);
  EXPECT_EQ(balance(2), 5000);
  EXPECT_EQ(seats().locks, 0);
}

TEST_F(WalletActorTest, FifthLiveHoldIsRefusedUntilTheOthersExpire) {
  ASSERT_EQ(std::get<0>(charge(1, 100)), code::ok);
  for (seat_no s = 1; s <= 4; ++s) EXPECT_EQ(std::get<0>(hold(1, s)), code::created);
  EXPECT_EQ(std::get<0>(hold(1, 5)), code::hold_limit_reached);
  EXPECT_EQ(seats().holds, 4);
  pass(seconds_us(299));
  EXPECT_EQ(std::get<0>(hold(1, 5)), code::hold_limit_reached);
  pass(seconds_us(1));  // the four lapse exactly at their deadline
  EXPECT_EQ(std::get<0>(hold(1, 5)), code::created);
  EXPECT_EQ(seats().holds, 5);
}

TEST_F(WalletActorTest, HoldsInFlightCountTowardTheLimit) {
  std::vector<decltype(self->request(wallets, caf::infinite, hold_atom::value, user_id{1},
                                     schedule_id{1}, seat_no{1}))>
      pending;
  for (seat_no s = 1; s <= 6; ++s)
    pending.push_back(
        self->request(wallets, caf::infinite, hold_atom::value, user_id{1}, schedule_id{1}, s));
  sched.run();
  int created = 0, refused = 0;
  for (auto& h : pending) {
    auto r = reply_of<code, reservation>(h);
    ASSERT_TRUE(r);
    created += std::get<0>(*r) == code::created;
    refused += std::get<0>(*r) == code::hold_limit_reached;
  }
  EXPECT_EQ(created, 4);
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(seats().holds, 4);
}

TEST_F(WalletActorTest, IdleWalletIsPassivatedAndComesBackWithItsState) {
  ASSERT_EQ(std::get<0>(charge(1, 700)), code::ok);
  auto rid = user_with_hold(1, 800);
  ASSERT_EQ(std::get<0>(*pay(1, rid, "key")), code::created);
  ASSERT_EQ(std::get<0>(charge(2, 5)), code::ok);
  EXPECT_EQ(stats().live, 2u);
  pass(wcfg.idle_timeout - 1);
  EXPECT_EQ(stats().live, 2u);
  pass(1);
  auto s = stats();
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.passivated_total, 2u);
  EXPECT_EQ(archive->size(), 2u);
  // Everything comes back from the archive.
  EXPECT_EQ(balance(1), 500);
  EXPECT_EQ(history(1).size(), 3u);
  EXPECT_EQ(std::get<1>(resv(1, rid)).status, reservation_status::confirmed);
  auto again = pay(1, rid, "key");
  ASSERT_TRUE(again);
  EXPECT_EQ(std::get<0>(*again), code::created);  // idempotency keys survive too
  EXPECT_EQ(seats().locks, 1);
  EXPECT_EQ(balance(2), 5);
  EXPECT_EQ(stats().activated_total, 4u);
}

TEST_F(WalletActorTest, ActivityPostponesPassivation) {
  ASSERT_EQ(std::get<0>(charge(1, 1)), code::ok);
  pass(seconds_us(40));
  EXPECT_EQ(balance(1), 1);  // activity at t = 40 s
  pass(seconds_us(40));      // t = 80 s: idle only 40 s
  EXPECT_EQ(stats().live, 1u);
  pass(seconds_us(20) - 1);  // t = 100 s less 1 us: idle just under 60 s
  EXPECT_EQ(stats().live, 1u);
  pass(wcfg.idle_timeout / 4 + 1);  // the first sweep after 60 s of idleness
  EXPECT_EQ(stats().live, 0u);
  EXPECT_EQ(stats().activated_total, 1u);
}

TEST_F(WalletActorTest, RequestsArrivingDuringPassivationAreNotLost) {
  ASSERT_EQ(std::get<0>(charge(1, 100)), code::ok);
  pass(wcfg.idle_timeout - 1);  // the sweeps so far found it busy too recently
  EXPECT_EQ(stats().live, 1u);
  sched.advance_time(std::chrono::microseconds(1));  // the sweep at the idle timeout
  ASSERT_TRUE(sched.try_run_once());                 // the registry's sweep sends the idle check
  ASSERT_TRUE(sched.try_run_once());                 // the wallet sees it is idle and asks to stop
  ASSERT_TRUE(sched.try_run_once());  // the registry marks it stopping and sends stop
  auto h1 = self->request(wallets, caf::infinite, charge_atom::value, user_id{1}, points{23});
  auto h2 = self->request(wallets, caf::infinite, balance_atom::value, user_id{1});
  auto h3 = self->request(wallets, caf::infinite, history_atom::value, user_id{1});
  sched.run();
  auto r1 = reply_of<code, points>(h1);
  auto r2 = reply_of<points>(h2);
  auto r3 = reply_of<std::vector<history_entry>>(h3);
  ASSERT_TRUE(r1);
  ASSERT_TRUE(r2);
  ASSERT_TRUE(r3);
  EXPECT_EQ(*r1, std::make_tuple(code::ok, points{123}));
  EXPECT_EQ(std::get<0>(*r2), 123);
  EXPECT_EQ(std::get<0>(*r3).size(), 2u);
  auto s = stats();
  EXPECT_EQ(s.parked_total, 3u);  // they really waited for the stopping wallet
  EXPECT_EQ(s.passivated_total, 1u);
  EXPECT_EQ(s.activated_total, 2u);
  EXPECT_EQ(s.live, 1u);
}

TEST_F(WalletActorTest, PassivateFromAnyoneButTheCurrentWalletIsIgnored) {
  ASSERT_EQ(std::get<0>(charge(1, 100)), code::ok);
  self->send(wallets, passiv_atom::value, user_id{1});
  sched.run();
  EXPECT_EQ(stats().live, 1u);
  EXPECT_EQ(stats().passivated_total, 0u);
  EXPECT_EQ(balance(1), 100);
}

TEST_F(WalletActorTest, StoppedFromAnyoneButTheCurrentWalletIsIgnored) {
  ASSERT_EQ(std::get<0>(charge(1, 100)), code::ok);
  self->send(wallets, stopped_atom::value, user_id{1}, std::string{"not a wallet"});
  sched.run();
  EXPECT_EQ(stats().live, 1u);
  EXPECT_EQ(stats().passivated_total, 0u);
  EXPECT_EQ(archive->size(), 0u);
  EXPECT_EQ(balance(1), 100);
}

TEST_F(WalletActorTest, SlowPaymentKeepsTheWalletAliveAndOthersServed) {
  wcfg.idle_timeout = seconds_us(1);
  start();
  auto rid = user_with_hold(1, 5000);
  seats().park_locks = true;
  auto hp =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, rid, std::string{"k"});
  sched.run();
  ASSERT_EQ(seats().parked_locks.size(), 1u);
  EXPECT_EQ(std::get<0>(charge(1, 10)), code::ok);  // served while the payment waits
  pass(seconds_us(2));
  EXPECT_EQ(stats().live, 1u);  // busy: not passivated
  seats().park_locks = false;
  auto release = self->request(catalog, caf::infinite, stats_atom::value);
  sched.run();  // the slow catalog answers at last, and the payment goes on
  ASSERT_TRUE(reply_of<seat_stats>(release));
  auto r = reply_of<code, payment>(hp);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<0>(*r), code::created);
  EXPECT_EQ(balance(1), 5010 - seat_price);
  pass(seconds_us(1));
  EXPECT_EQ(stats().live, 0u);
}

TEST_F(WalletActorTest, CatalogTimeoutIsAnErrorAndTheKeyMayBeRetried) {
  auto rid = user_with_hold(1, 5000);
  seats().park_locks = true;
  auto hp =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, rid, std::string{"k"});
  sched.run();
  pass(seconds_us(5));  // the wallet's step timeout
  auto r = reply_of<code, payment>(hp);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), caf::sec::request_timeout);
  EXPECT_EQ(balance(1), 5000);
  seats().park_locks = false;
  seats().parked_locks.clear();  // that lock never happened
  auto again = pay(1, rid, "k");
  ASSERT_TRUE(again);
  EXPECT_EQ(std::get<0>(*again), code::created);
  EXPECT_EQ(balance(1), 4000);
}

TEST_F(WalletActorTest, EachStepTimesOutAtItsOwnDeadlineUnderTheOneWatchdog) {
  EXPECT_EQ(std::get<0>(charge(1, 5000)), code::ok);
  auto first = std::get<1>(hold(1, 17)).id;
  auto second = std::get<1>(hold(1, 18)).id;
  seats().park_locks = true;
  auto a =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, first, std::string{"a"});
  sched.run();
  pass(seconds_us(3));
  auto b =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, second, std::string{"b"});
  sched.run();
  pass(seconds_us(2) - 1);
  EXPECT_FALSE((reply_of<code, payment>(a))) << "not before its 5 s";
  pass(1);
  auto ra = reply_of<code, payment>(a);
  ASSERT_FALSE(ra);
  EXPECT_EQ(ra.error(), caf::sec::request_timeout);
  EXPECT_FALSE((reply_of<code, payment>(b))) << "the second step is 3 s younger";
  pass(seconds_us(3));
  auto rb = reply_of<code, payment>(b);
  ASSERT_FALSE(rb);
  EXPECT_EQ(rb.error(), caf::sec::request_timeout);
  // The parked locks answer now, too late: the answers are dropped, nothing is debited.
  seats().park_locks = false;
  auto release = self->request(catalog, caf::infinite, stats_atom::value);
  sched.run();
  ASSERT_TRUE(reply_of<seat_stats>(release));
  EXPECT_EQ(balance(1), 5000);
  EXPECT_EQ(history(1).size(), 1u) << "only the charge";
  EXPECT_EQ(seats().sells + seats().unlocks, 0) << "a late answer started a next step";
}

TEST_F(WalletActorTest, SaleWhoseAnswerIsLostIsAskedAgainAndKeptOnce) {
  auto rid = user_with_hold(1, 5000);
  seats().drop_sells = true;
  auto first =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, rid, std::string{"k"});
  sched.run();
  pass(seconds_us(5));  // the sell's step timeout: debited, sale in doubt
  auto r = reply_of<code, payment>(first);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), caf::sec::request_timeout);
  EXPECT_EQ(balance(1), 4000) << "the debit stays while the sale is in doubt";
  auto retry =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, rid, std::string{"k"});
  sched.run();
  EXPECT_FALSE((reply_of<code, payment>(retry))) << "the same key waits for the open payment";
  // The lost sell did reach the seat; the wallet's next question finds it sold.
  seats().drop_sells = false;
  seats().seats[rid].status = seat_status::sold;
  pass(seconds_us(1));
  auto settled = reply_of<code, payment>(retry);
  ASSERT_TRUE(settled);
  EXPECT_EQ(std::get<0>(*settled), code::created);
  EXPECT_EQ(balance(1), 4000);
  EXPECT_EQ(history(1).size(), 2u);
  EXPECT_EQ(state_of<stub_gate_state>(gate).ended.size(), 1u);
}

TEST_F(WalletActorTest, SaleWhoseAnswerIsLostAndNeverHappenedIsRefunded) {
  auto rid = user_with_hold(1, 5000);
  seats().drop_sells = true;
  auto first =
      self->request(wallets, caf::infinite, pay_atom::value, user_id{1}, rid, std::string{"k"});
  sched.run();
  pass(seconds_us(5));
  EXPECT_FALSE((reply_of<code, payment>(first)));
  // The seat's lock timed out meanwhile: the sale can no longer happen.
  seats().drop_sells = false;
  seats().seats[rid].status = seat_status::held;
  pass(seconds_us(1));
  EXPECT_EQ(balance(1), 5000);
  auto again = pay(1, rid, "k");
  ASSERT_TRUE(again);
  EXPECT_EQ(std::get<0>(*again), code::reservation_not_payable) << "the key keeps the outcome";
  EXPECT_EQ(balance(1), 5000);
  EXPECT_TRUE(state_of<stub_gate_state>(gate).ended.empty());
}
