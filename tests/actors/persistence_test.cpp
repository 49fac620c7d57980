// Restart and recovery of the whole system over a real RocksDB store in a temporary
// directory, on CAF's deterministic scheduler: each test runs the system, stops it,
// opens the same directory in a fresh actor system and checks what users rely on came
// back (balances, history, holds with their deadlines, sales, queue positions, active
// slots, idempotency keys). Crash points in the payment protocol and a failing store
// show that recovery settles every payment exactly once and nothing unwritten shows.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <tuple>

#include "actors/runtime.hpp"
#include "actors/wallet_registry.hpp"
#include "storage/keys.hpp"
#include "support/deterministic_system.hpp"

using namespace concert;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using concert::testing::ask_and_run;
using concert::testing::deterministic_config;
using concert::testing::onsale_epoch_us;

namespace {

/// A fresh directory under /tmp, removed afterwards.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "persistence_test.XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  /// The store's directory (created by the first open).
  std::string db() const { return path_ + "/db"; }

 private:
  std::string path_;
};

/// Writes through to the store until `fail` is set, then every apply fails (io).
class failing_kv final : public kv_store {
 public:
  failing_kv(std::shared_ptr<store> db, std::shared_ptr<std::atomic<bool>> fail)
      : db_(std::move(db)), fail_(std::move(fail)) {}
  status apply(const write_batch& b, bool sync) override {
    if (*fail_) return {store_errc::io, "injected write failure"};
    return db_->apply(b, sync);
  }
  result<std::optional<std::string>> get(family f, std::string_view key) const override {
    return db_->get(f, key);
  }

 private:
  std::shared_ptr<store> db_;
  std::shared_ptr<std::atomic<bool>> fail_;
};

/// One run of the system over a data directory, on the deterministic scheduler.
class node {
 public:
  node(const std::string& dir, system_settings s, persistent_options o = {})
      : sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())) {
    if (s.seed == 0) s.seed = 42;
    if (s.epoch_at_start == 0) s.epoch_at_start = onsale_epoch_us;
    o.data_dir = dir;
    if (!o.initial_catalog) o.initial_catalog = demo_catalog();
    auto r = open_persistent_system(sys_, s, o);
    if (r.ok()) {
      h_ = r.value();
      open_ = true;
    } else {
      error_ = r.error();
    }
    sched_.run();
  }
  ~node() {
    if (open_) stop_system(h_);
    sched_.run();
  }

  bool ok() const { return open_; }
  const status& error() const { return error_; }
  const system_handles& h() const { return h_; }
  time_us now() { return h_.clock.now(sys_.clock()); }

  /// Sends one request, runs everything, returns the reply; an error fails the test.
  template <class... Rs, class Handle, class... Ts>
  std::tuple<Rs...> ask(const Handle& dest, Ts&&... xs) {
    return ask_and_run<Rs...>(self_, sched_, dest, std::forward<Ts>(xs)...);
  }

  /// Sends one request and returns its error; a value reply fails the test.
  template <class... Rs, class Handle, class... Ts>
  caf::error ask_error(const Handle& dest, Ts&&... xs) {
    caf::error out;
    auto rh = self_->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    sched_.run();
    rh.receive([&](Rs&...) { ADD_FAILURE() << "expected an error reply"; },
               [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  /// Moves virtual time forward in 1 s steps, running every due timer.
  void advance(caf::timespan d) {
    while (d.count() > 0) {
      auto step = std::min<caf::timespan>(d, 1s);
      sched_.advance_time(step);
      sched_.run();
      d -= step;
    }
  }

  // ---- shorthands for the journey ----

  points charge(user_id u, points amount) {
    auto [c, bal] = ask<code, points>(h_.wallets, charge_atom::value, u, amount);
    EXPECT_EQ(c, code::ok);
    return bal;
  }
  points balance(user_id u) { return std::get<0>(ask<points>(h_.wallets, balance_atom::value, u)); }
  std::vector<history_entry> history(user_id u) {
    return std::get<0>(ask<std::vector<history_entry>>(h_.wallets, history_atom::value, u));
  }
  std::pair<code, reservation> hold(user_id u, schedule_id s, seat_no seat) {
    auto [c, r] = ask<code, reservation>(h_.wallets, hold_atom::value, u, s, seat);
    return {c, r};
  }
  std::pair<code, payment> pay(user_id u, reservation_id rid, std::string key = {}) {
    auto [c, p] = ask<code, payment>(h_.wallets, pay_atom::value, u, rid, std::move(key));
    return {c, p};
  }
  std::pair<code, reservation> resv(user_id u, reservation_id rid) {
    auto [c, r] = ask<code, reservation>(h_.wallets, resv_atom::value, u, rid);
    return {c, r};
  }
  seat_status seat(schedule_id s, seat_no n) {
    auto [c, seats] = ask<code, std::vector<seat_info>>(h_.catalog, seats_atom::value, s, true);
    auto i =
        std::find_if(seats.begin(), seats.end(), [&](const seat_info& x) { return x.seat == n; });
    EXPECT_NE(i, seats.end());
    return i == seats.end() ? seat_status::available : i->status;
  }
  wallet_stats wallets() {
    auto reg = caf::actor_cast<wallet_registry_actor>(h_.wallets);
    return std::get<0>(ask<wallet_stats>(reg, stats_atom::value));
  }
  std::pair<code, token_view> issue(user_id u) {
    auto [c, t] = ask<code, token_view>(h_.gate, issue_atom::value, u);
    return {c, t};
  }
  std::pair<code, token_view> poll(const std::string& token) {
    auto [c, t] = ask<code, token_view>(h_.gate, poll_atom::value, token);
    return {c, t};
  }
  /// Open payment intents in the store.
  size_t open_intents() {
    size_t n = 0;
    auto st = h_.persist.db->scan(family::intents, {}, [&](std::string_view, std::string_view) {
      ++n;
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.to_string();
    return n;
  }

 private:
  deterministic_config cfg_;
  caf::actor_system sys_{cfg_};
  caf::scheduler::test_coordinator& sched_;
  caf::scoped_actor self_{sys_};
  system_handles h_;
  bool open_ = false;
  status error_;
};

/// Settings for a run starting at `epoch` (0: the default on-sale moment).
system_settings at(time_us epoch, payment_crash_point crash = payment_crash_point::none) {
  system_settings s;
  s.epoch_at_start = epoch;
  s.crash_point = crash;
  return s;
}

/// Every user's points add up: what was charged is the balance plus what was spent.
void expect_books_balance(node& n, user_id u, points charged) {
  points spent = 0;
  for (const auto& e : n.history(u))
    if (e.kind == history_kind::payment) spent += e.amount;
  EXPECT_EQ(charged, n.balance(u) + spent) << "user " << u;
}

}  // namespace

TEST(PersistenceTest, WalletBalanceHistoryAndReservationsComeBackWithoutLoadingWallets) {
  temp_dir dir;
  reservation r;
  std::vector<history_entry> before;
  time_us later = 0;
  {
    node n{dir.db(), at(0)};
    ASSERT_TRUE(n.ok()) << n.error().to_string();
    n.charge(1, 1000);
    auto held = n.hold(1, 1, 3);
    ASSERT_EQ(held.first, code::created);
    r = held.second;
    n.charge(1, 500);
    n.charge(2, 70);
    before = n.history(1);
    later = n.now() + seconds_us(5);
  }
  node n{dir.db(), at(later)};
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(n.wallets().live, 0u) << "recovery must not load wallets";
  EXPECT_EQ(n.balance(1), 1500);
  EXPECT_EQ(n.balance(2), 70);
  auto after = n.history(1);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].amount, before[i].amount);
    EXPECT_EQ(after[i].balance, before[i].balance);
    EXPECT_EQ(after[i].at, before[i].at);
  }
  auto [rc, rv] = n.resv(1, r.id);
  ASSERT_EQ(rc, code::ok);
  EXPECT_EQ(rv.status, reservation_status::held);
  EXPECT_EQ(rv.expires_at, r.expires_at);
  EXPECT_EQ(n.wallets().live, 2u) << "only the wallets asked for were activated";
}

TEST(PersistenceTest, PassivatedWalletIsReadBackFromTheStore) {
  temp_dir dir;
  node n{dir.db(), at(0)};
  ASSERT_TRUE(n.ok());
  n.charge(9, 250);
  n.advance(61s);
  auto s = n.wallets();
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.passivated_total, 1u);
  EXPECT_EQ(n.balance(9), 250);
  EXPECT_EQ(n.history(9).size(), 1u);
}

TEST(PersistenceTest, HeldAndSoldSeatsComeBackWithTheirDeadlines) {
  temp_dir dir;
  reservation held, sold;
  time_us later = 0;
  {
    node n{dir.db(), at(0)};
    ASSERT_TRUE(n.ok());
    held = n.hold(1, 1, 5).second;
    ASSERT_NE(held.id, 0u);
    sold = n.hold(2, 1, 6).second;
    n.charge(2, sold.price);
    ASSERT_EQ(n.pay(2, sold.id).first, code::created);
    later = n.now() + seconds_us(10);
  }
  node n{dir.db(), at(later)};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.h().recovered.seat_records, 2u);
  EXPECT_EQ(n.seat(1, 5), seat_status::held);
  EXPECT_EQ(n.seat(1, 6), seat_status::sold);
  EXPECT_EQ(n.hold(3, 1, 5).first, code::seat_unavailable);
  EXPECT_EQ(n.hold(3, 1, 6).first, code::seat_unavailable);
  EXPECT_EQ(n.resv(2, sold.id).second.status, reservation_status::confirmed);
  // The hold keeps its deadline: it lapses exactly at expires_at, not 300 s after restart.
  n.advance(std::chrono::microseconds(held.expires_at - n.now() - seconds_us(1)));
  EXPECT_EQ(n.seat(1, 5), seat_status::held);
  n.advance(1s);
  EXPECT_EQ(n.seat(1, 5), seat_status::available);
  // Ids continue after the stored ones: a new hold in the same block gets a fresh one.
  auto again = n.hold(3, 1, 5);
  ASSERT_EQ(again.first, code::created);
  EXPECT_GT(again.second.id, std::max(held.id, sold.id));
}

TEST(PersistenceTest, HoldThatLapsedWhileDownIsAvailableAfterRestart) {
  temp_dir dir;
  reservation r;
  time_us later = 0;
  {
    node n{dir.db(), at(0)};
    ASSERT_TRUE(n.ok());
    n.charge(1, 1'000'000);
    r = n.hold(1, 2, 7).second;
    ASSERT_NE(r.id, 0u);
    later = r.expires_at + seconds_us(1);  // down past the deadline
  }
  node n{dir.db(), at(later)};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.seat(2, 7), seat_status::available);
  EXPECT_EQ(n.resv(1, r.id).second.status, reservation_status::expired);
  EXPECT_EQ(n.pay(1, r.id).first, code::reservation_expired);
  EXPECT_EQ(n.balance(1), 1'000'000);
  EXPECT_EQ(n.hold(2, 2, 7).first, code::created);
}

TEST(PersistenceTest, QueueOrderPositionsAndActiveSlotsSurviveRestart) {
  temp_dir dir;
  auto settings = [](time_us epoch) {
    auto s = at(epoch);
    s.gate.max_active = 2;
    return s;
  };
  std::vector<std::string> tokens(6);
  time_us admitted = 0, later = 0;
  {
    node n{dir.db(), settings(0)};
    ASSERT_TRUE(n.ok());
    admitted = n.now();
    for (user_id u = 1; u <= 5; ++u) tokens[u] = n.issue(u).second.token;
    EXPECT_EQ(std::get<0>(n.ask<code>(n.h().gate, leave_atom::value, tokens[4])), code::ok);
    later = n.now() + seconds_us(20);
  }
  node n{dir.db(), settings(later)};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.h().recovered.gate_tokens, 4u);
  auto [c1, v1] = n.poll(tokens[1]);
  ASSERT_EQ(c1, code::ok) << "a token issued before the restart stays valid";
  EXPECT_TRUE(v1.active);
  EXPECT_EQ(v1.expires_at, admitted + seconds_us(600)) << "the active TTL runs on";
  EXPECT_TRUE(n.poll(tokens[2]).second.active);
  EXPECT_EQ(n.poll(tokens[3]).second.position, 1u);
  EXPECT_EQ(n.poll(tokens[5]).second.position, 2u);
  EXPECT_EQ(n.poll(tokens[4]).first, code::token_expired) << "a leaver stays gone";
  auto [cu, who] = n.ask<code, user_id>(n.h().gate, check_atom::value, tokens[1]);
  EXPECT_EQ(cu, code::ok);
  EXPECT_EQ(who, 1u);
  auto [c6, v6] = n.issue(6);
  EXPECT_EQ(c6, code::created);
  EXPECT_EQ(v6.position, 3u);
  // The slots free up when the TTL that started before the restart runs out (the
  // waiters keep polling, or they would be dropped as idle first).
  auto ttl_end = admitted + seconds_us(600);
  while (n.now() < ttl_end - seconds_us(20)) {
    n.advance(20s);
    EXPECT_EQ(n.poll(tokens[3]).first, code::ok);
    EXPECT_EQ(n.poll(tokens[5]).first, code::ok);
  }
  EXPECT_TRUE(n.poll(tokens[1]).second.active);
  n.advance(std::chrono::microseconds(ttl_end - n.now()));
  EXPECT_EQ(n.poll(tokens[1]).first, code::token_expired);
  EXPECT_TRUE(n.poll(tokens[3]).second.active);
  EXPECT_TRUE(n.poll(tokens[5]).second.active);
}

TEST(PersistenceTest, TokenNumbersAreNeverReused) {
  temp_dir dir;
  std::string first;
  {
    node n{dir.db(), at(0)};
    ASSERT_TRUE(n.ok());
    first = n.issue(1).second.token;
    EXPECT_EQ(std::get<0>(n.ask<code>(n.h().gate, leave_atom::value, first)), code::ok);
  }
  node n{dir.db(), at(onsale_epoch_us + seconds_us(60))};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.h().recovered.gate_tokens, 0u);
  auto [c, v] = n.issue(1);
  EXPECT_EQ(c, code::created);
  EXPECT_NE(v.token, first) << "the same (number, user) would revive the old token";
  EXPECT_EQ(n.poll(first).first, code::token_expired);
}

TEST(PersistenceTest, IdempotencyKeyRepeatsTheFirstPaymentAfterRestart) {
  temp_dir dir;
  payment first;
  reservation r;
  {
    node n{dir.db(), at(0)};
    ASSERT_TRUE(n.ok());
    r = n.hold(4, 3, 1).second;
    n.charge(4, r.price + 10);
    auto [c, p] = n.pay(4, r.id, "key-1");
    ASSERT_EQ(c, code::created);
    first = p;
  }
  node n{dir.db(), at(onsale_epoch_us + seconds_us(30))};
  ASSERT_TRUE(n.ok());
  auto [c, p] = n.pay(4, r.id, "key-1");
  EXPECT_EQ(c, code::created);
  EXPECT_EQ(p.id, first.id);
  EXPECT_EQ(p.amount, first.amount);
  EXPECT_EQ(p.balance, first.balance);
  EXPECT_EQ(p.paid_at, first.paid_at);
  EXPECT_EQ(n.balance(4), 10);
  EXPECT_EQ(n.history(4).size(), 2u) << "a repeat charges nothing";
  EXPECT_EQ(n.pay(4, r.id, "key-2").first, code::reservation_not_payable);
}

TEST(PersistenceTest, CrashAfterDebitCompletesTheSaleOnRecovery) {
  temp_dir dir;
  reservation r;
  {
    node n{dir.db(), at(0, payment_crash_point::after_debit)};
    ASSERT_TRUE(n.ok());
    r = n.hold(1, 1, 9).second;
    n.charge(1, r.price);
    EXPECT_TRUE((n.ask_error<code, payment>(n.h().wallets, pay_atom::value, user_id{1}, r.id,
                                            std::string{"k"})));
    EXPECT_EQ(n.open_intents(), 1u);
    EXPECT_EQ(n.seat(1, 9), seat_status::paying) << "locked, not sold";
  }
  node n{dir.db(), at(onsale_epoch_us + seconds_us(3600))};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.h().recovered.intents_completed, 1u);
  EXPECT_EQ(n.h().recovered.intents_refunded, 0u);
  EXPECT_EQ(n.open_intents(), 0u);
  EXPECT_EQ(n.seat(1, 9), seat_status::sold);
  EXPECT_EQ(n.balance(1), 0);
  EXPECT_EQ(n.resv(1, r.id).second.status, reservation_status::confirmed);
  auto [c, p] = n.pay(1, r.id, "k");
  EXPECT_EQ(c, code::created) << "the key answers with the completed payment";
  EXPECT_EQ(p.amount, r.price);
  expect_books_balance(n, 1, r.price);
}

TEST(PersistenceTest, CrashAfterDebitRefundsWhenTheSeatWentToSomeoneElse) {
  temp_dir dir;
  reservation r;
  time_us later = 0;
  {
    node n{dir.db(), at(0, payment_crash_point::after_debit)};
    ASSERT_TRUE(n.ok());
    r = n.hold(1, 1, 9).second;
    n.charge(1, r.price + 5);
    EXPECT_TRUE((n.ask_error<code, payment>(n.h().wallets, pay_atom::value, user_id{1}, r.id,
                                            std::string{})));
    // The sale never comes: the lock times out, the hold lapses, another fan takes it.
    n.advance(std::chrono::microseconds(r.expires_at - n.now()));
    EXPECT_EQ(n.hold(2, 1, 9).first, code::created);
    later = n.now() + seconds_us(1);
  }
  node n{dir.db(), at(later)};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.h().recovered.intents_refunded, 1u);
  EXPECT_EQ(n.h().recovered.intents_completed, 0u);
  EXPECT_EQ(n.open_intents(), 0u);
  EXPECT_EQ(n.balance(1), r.price + 5) << "the debit is voided exactly once";
  auto hist = n.history(1);
  ASSERT_EQ(hist.size(), 3u);  // charge, payment, its reversal
  EXPECT_EQ(hist[0].amount, -r.price);
  EXPECT_EQ(n.seat(1, 9), seat_status::held);
  EXPECT_EQ(n.hold(3, 1, 9).first, code::seat_unavailable) << "user 2 still holds it";
  expect_books_balance(n, 1, r.price + 5);
}

TEST(PersistenceTest, CrashAfterSaleClosesTheIntentAndKeepsTheDebit) {
  temp_dir dir;
  reservation r;
  std::string token;
  {
    node n{dir.db(), at(0, payment_crash_point::after_sale)};
    ASSERT_TRUE(n.ok());
    token = n.issue(1).second.token;
    r = n.hold(1, 4, 2).second;
    n.charge(1, r.price * 2);
    EXPECT_TRUE((n.ask_error<code, payment>(n.h().wallets, pay_atom::value, user_id{1}, r.id,
                                            std::string{"k"})));
    EXPECT_EQ(n.seat(4, 2), seat_status::sold);
    EXPECT_EQ(n.open_intents(), 1u);
  }
  node n{dir.db(), at(onsale_epoch_us + seconds_us(60))};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.h().recovered.intents_sold, 1u);
  EXPECT_EQ(n.h().recovered.intents_refunded + n.h().recovered.intents_completed, 0u);
  EXPECT_EQ(n.h().recovered.tokens_ended, 1u);
  EXPECT_EQ(n.poll(token).first, code::token_expired) << "the crash came before the gate's end";
  EXPECT_EQ(n.open_intents(), 0u);
  EXPECT_EQ(n.seat(4, 2), seat_status::sold);
  EXPECT_EQ(n.balance(1), r.price);
  EXPECT_EQ(n.pay(1, r.id, "k").first, code::created);
  EXPECT_EQ(n.balance(1), r.price);
  expect_books_balance(n, 1, r.price * 2);
}

TEST(PersistenceTest, ARecoveredSaleEndsThePayersActiveTokenAndNoOtherInTheSameBatch) {
  temp_dir dir;
  std::string payer, other;
  {
    node n{dir.db(), at(0, payment_crash_point::after_debit)};
    ASSERT_TRUE(n.ok());
    payer = n.issue(1).second.token;
    other = n.issue(2).second.token;
    auto r = n.hold(1, 2, 5).second;
    n.charge(1, r.price);
    EXPECT_TRUE((n.ask_error<code, payment>(n.h().wallets, pay_atom::value, user_id{1}, r.id,
                                            std::string{})));
    EXPECT_TRUE(n.poll(payer).second.active) << "the crash point came before the gate's end";
  }
  {
    node n{dir.db(), at(onsale_epoch_us + seconds_us(60))};  // well inside the active TTL
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n.h().recovered.intents_completed, 1u);
    EXPECT_EQ(n.h().recovered.tokens_ended, 1u);
    EXPECT_EQ(n.h().recovered.gate_tokens, 1u);
    EXPECT_EQ(n.poll(payer).first, code::token_expired);
    auto [c, v] = n.poll(other);
    EXPECT_EQ(c, code::ok);
    EXPECT_TRUE(v.active) << "only the payer's token ends";
    EXPECT_EQ(n.issue(1).first, code::created) << "the payer may queue again";
  }
  node n{dir.db(), at(onsale_epoch_us + seconds_us(61))};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.h().recovered.tokens_ended, 0u) << "the end was written with the settlement";
  EXPECT_EQ(n.poll(payer).first, code::token_expired);
}

TEST(PersistenceTest, StoreWriteFailureAnswersAnErrorAndLeavesNoTrace) {
  temp_dir dir;
  auto fail = std::make_shared<std::atomic<bool>>(false);
  {
    persistent_options o;
    o.wrap_writes = [fail](std::shared_ptr<store> db) -> std::shared_ptr<kv_store> {
      return std::make_shared<failing_kv>(std::move(db), fail);
    };
    node n{dir.db(), at(0), o};
    ASSERT_TRUE(n.ok());
    n.charge(1, 1000);
    *fail = true;
    auto err =
        n.ask_error<code, points>(n.h().wallets, charge_atom::value, user_id{1}, points{500});
    EXPECT_TRUE(err);
    // Fail-stop: the effect is never shown, not even to a read of the same wallet.
    EXPECT_TRUE((n.ask_error<points>(n.h().wallets, balance_atom::value, user_id{1})));
    EXPECT_TRUE((n.ask_error<code, reservation>(n.h().wallets, hold_atom::value, user_id{2},
                                                schedule_id{1}, seat_no{1})));
    EXPECT_TRUE((n.ask_error<code, std::vector<seat_info>>(n.h().catalog, seats_atom::value,
                                                           schedule_id{1}, true)));
  }
  node n{dir.db(), at(onsale_epoch_us + seconds_us(10))};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.balance(1), 1000);
  EXPECT_EQ(n.history(1).size(), 1u);
  EXPECT_EQ(n.seat(1, 1), seat_status::available);
  EXPECT_EQ(n.hold(2, 1, 1).first, code::created);
}

TEST(PersistenceTest, AFailedDebitWriteSellsNothingEvenThoughTheSaleWasAskedAtOnce) {
  temp_dir dir;
  auto fail = std::make_shared<std::atomic<bool>>(false);
  reservation r;
  {
    persistent_options o;
    o.wrap_writes = [fail](std::shared_ptr<store> db) -> std::shared_ptr<kv_store> {
      return std::make_shared<failing_kv>(std::move(db), fail);
    };
    node n{dir.db(), at(0), o};
    ASSERT_TRUE(n.ok());
    r = n.hold(1, 1, 9).second;
    n.charge(1, r.price);
    *fail = true;  // the payment's first write is the debit; the sale's record follows it
    EXPECT_TRUE((n.ask_error<code, payment>(n.h().wallets, pay_atom::value, user_id{1}, r.id,
                                            std::string{"k"})));
  }
  node n{dir.db(), at(onsale_epoch_us + seconds_us(10))};
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.open_intents(), 0u);
  EXPECT_EQ(n.seat(1, 9), seat_status::held) << "not sold: its record came after the debit";
  EXPECT_EQ(n.balance(1), r.price);
  EXPECT_EQ(n.history(1).size(), 1u) << "the charge only";
}

TEST(PersistenceTest, AnEmptyStoreWithoutACatalogIsRefused) {
  temp_dir dir;
  persistent_options o;
  o.data_dir = dir.db();
  deterministic_config cfg;
  caf::actor_system sys{cfg};
  auto r = open_persistent_system(sys, at(onsale_epoch_us), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), store_errc::invalid);
  EXPECT_NE(r.error().message().find("--demo-catalog"), std::string::npos);
  dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler()).run();
}

TEST(PersistenceTest, AnotherSeatLayoutIsRefusedAndTheStoredCatalogWins) {
  temp_dir dir;
  { node n{dir.db(), at(0)}; }
  auto s = at(0);
  s.seats.seats_per_block = 32;
  node refused{dir.db(), s};
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), store_errc::invalid);
  persistent_options o;
  o.initial_catalog = synthetic_catalog(1, 1, 5);  // ignored: the store has a catalog
  node n{dir.db(), at(0), o};
  ASSERT_TRUE(n.ok());
  auto [concerts] = n.ask<std::vector<concert_info>>(n.h().catalog, concerts_atom::value);
  EXPECT_EQ(concerts.size(), demo_catalog().concerts.size());
}

TEST(PersistenceTest, ADirectoryInUseIsRefused) {
  temp_dir dir;
  node first{dir.db(), at(0)};
  ASSERT_TRUE(first.ok());
  node second{dir.db(), at(0)};
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind(), store_errc::locked);
}
