// The wallet actors: one thin actor per active user around the plain `wallet` core, and
// the registry that routes by user id, activates wallets from the archive and
// passivates idle ones with the handshake of caf-0.17.md §7 (so no request is lost).
// The payment is a chain of request().then() steps, so a wallet keeps serving its
// user's other messages while one runs. With a store, every change of the wallet is
// written before the reply that shows it, and the debit is written together with a
// payment intent that stays open until the sale is settled (docs/persistence.md).

#include "actors/wallet_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/record_codec.hpp"
#include "actors/wallet_registry.hpp"
#include "actors/write_chain.hpp"
#include "storage/keys.hpp"

namespace concert {

namespace {

/// How long one step of a hold or payment waits for the catalog or the gate. Well
/// under the seat's pay timeout, so a payment that got its lock can finish in time.
constexpr auto step_timeout = std::chrono::seconds(5);
/// Pause before asking again whether a sale whose answer was lost happened.
constexpr auto sell_retry_interval = std::chrono::seconds(1);

using pay_promise = caf::typed_response_promise<code, payment>;
using hold_promise = caf::typed_response_promise<code, reservation>;

// ---------------------------------------------------------------------------------
// The per-user wallet actor.

/// One payment between its steps.
struct payment_run {
  reservation_id rid = 0;
  std::string key;
  pay_promise rp;
};

struct wallet_state {
  wallet core;
  wallet_config cfg;
  catalog_actor catalog;
  gate_actor gate;
  wallet_registry_actor registry;
  time_base tb;
  uint32_t holds_in_flight = 0;
  time_us last_active = 0;
  bool passivation_asked = false;
  /// Requests with the key of a running payment: they get its result.
  std::map<std::string, std::vector<pay_promise>> waiters;
  bool stop_asked = false;        ///< by the registry: report and quit once nothing is in flight
  write_chain chain;              ///< in memory unless spawned with a writer
  uint64_t written_revision = 0;  ///< core.revision() as last sent to the writer
  payment_crash_point crash_at = payment_crash_point::none;
  /// Debited payments whose sale answer was lost: the sale is asked again until settled.
  std::map<reservation_id, std::pair<payment_run, payment>> in_doubt;
  /// Steps asked of the catalog or the gate and not answered yet, by id: the deadline and
  /// what runs when it passes. Ids ascend with their deadlines (one step_timeout for all).
  std::map<uint64_t, std::pair<time_us, std::function<void()>>> steps;
  uint64_t last_step = 0;
  bool watchdog_armed = false;
  static inline const char* name = "wallet";
};

using wallet_pointer = user_wallet_actor::stateful_pointer<wallet_state>;

time_us now_of(wallet_pointer self) { return self->state.tb.now(self->clock()); }

time_us touch(wallet_pointer self) { return self->state.last_active = now_of(self); }

bool busy(const wallet_state& st) {
  return st.holds_in_flight > 0 || st.core.payments_in_flight() > 0 || st.chain.pending() > 0 ||
         !st.in_doubt.empty() || !st.steps.empty();
}

// Step deadlines. A CAF request timeout costs CAF's clock thread a wake-up per request
// and stays queued until it fires, even after the answer came; a payment asks four steps.
// So steps are asked without one, and the wallet keeps its own deadlines under one
// watchdog timer, armed only while a step is open: one timer per burst, not per step.

void arm_watchdog(wallet_pointer self, time_us delay) {
  self->state.watchdog_armed = true;
  self->delayed_send(self, std::chrono::microseconds(delay), expire_atom::value);
}

/// Opens a step; `on_timeout` runs (once) if the step is still open after step_timeout.
uint64_t open_step(wallet_pointer self, std::function<void()> on_timeout) {
  auto& st = self->state;
  const auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(step_timeout);
  st.steps.emplace(++st.last_step,
                   std::make_pair(now_of(self) + timeout.count(), std::move(on_timeout)));
  if (!st.watchdog_armed) arm_watchdog(self, timeout.count());
  return st.last_step;
}

/// The step's answer came: true when it was still open; false when it timed out
/// already (then the answer is dropped, as CAF drops a reply after its timeout).
bool close_step(wallet_pointer self, uint64_t id) { return self->state.steps.erase(id) == 1; }

/// The watchdog fired: every step past its deadline times out; it rearms for the rest.
void on_watchdog(wallet_pointer self) {
  auto& st = self->state;
  st.watchdog_armed = false;
  const auto now = now_of(self);
  while (!st.steps.empty() && st.steps.begin()->second.first <= now) {
    auto on_timeout = std::move(st.steps.begin()->second.second);
    st.steps.erase(st.steps.begin());
    on_timeout();
  }
  if (!st.steps.empty()) arm_watchdog(self, st.steps.begin()->second.first - now);
}

caf::error step_timed_out() { return caf::make_error(caf::sec::request_timeout); }

/// The registry's idle check: a wallet idle for the whole idle timeout with nothing in
/// flight asks to be passivated; a busy or recently used one waits for a later check.
void on_idle(wallet_pointer self) {
  auto& st = self->state;
  if (st.passivation_asked || busy(st)) return;
  if (now_of(self) - st.last_active < st.cfg.idle_timeout) return;
  st.passivation_asked = true;
  self->send(st.registry, passiv_atom::value, st.core.user());
}

/// Reports to the registry's stop once no operation is in flight, then quits.
void try_stop(wallet_pointer self) {
  auto& st = self->state;
  if (!st.stop_asked || busy(st)) return;
  auto bytes = st.core.empty() ? std::string{} : st.core.encode();
  self->send(st.registry, stopped_atom::value, st.core.user(), std::move(bytes));
  self->quit();
}

/// The wallet's whole record when it changed since last written, then `extra` (one
/// batch: a debit and its intent land together or not at all). Empty in memory.
write_batch wallet_batch(wallet_pointer self, write_batch extra = {}) {
  auto& st = self->state;
  if (!st.chain.persistent()) return {};
  write_batch b;
  if (st.core.revision() != st.written_revision) {
    b.put(family::wallets, keys::encode_wallet(st.core.user()), st.core.encode());
    st.written_revision = st.core.revision();
  }
  for (auto& op : extra.ops) b.ops.push_back(std::move(op));
  return b;
}

/// Persists what changed and answers once it is durable (reads wait for earlier writes).
template <class... Ts, class... Vs>
void reply_durable(wallet_pointer self, caf::typed_response_promise<Ts...> rp, Vs... values) {
  self->state.chain.commit(
      self, wallet_batch(self),
      [self, rp, values...]() mutable {
        rp.deliver(values...);
        try_stop(self);
      },
      [self, rp](const caf::error& err) mutable {
        rp.deliver(err);
        try_stop(self);
      });
}

hold_promise hold(wallet_pointer self, schedule_id schedule, seat_no seat) {
  auto& st = self->state;
  auto now = touch(self);
  auto rp = self->make_response_promise<code, reservation>();
  // Holds in flight count too, or a burst of requests would pass the limit together.
  if (st.core.live_holds(now) + st.holds_in_flight >= st.cfg.max_holds_per_user) {
    reply_durable(self, rp, code::hold_limit_reached, reservation{});
    return rp;
  }
  ++st.holds_in_flight;
  auto failed = [=](const caf::error& err) mutable {
    --self->state.holds_in_flight;
    rp.deliver(err);
    try_stop(self);
  };
  auto id = open_step(self, [=]() mutable { failed(step_timed_out()); });
  self->request(st.catalog, caf::infinite, hold_atom::value, st.core.user(), schedule, seat)
      .then(
          [=](code c, reservation& r) mutable {
            if (!close_step(self, id)) return;
            --self->state.holds_in_flight;
            if (c == code::created) self->state.core.add_reservation(r);
            reply_durable(self, rp, c, r);
          },
          [=](caf::error& err) mutable {
            if (close_step(self, id)) failed(err);
          });
  return rp;
}

/// Sends a payment's result to its caller and every request that waited on its key.
template <class... Vs>
void tell_payers(wallet_pointer self, const payment_run& run, const Vs&... result) {
  auto rp = run.rp;
  rp.deliver(result...);
  auto& waiters = self->state.waiters;
  if (auto i = waiters.find(run.key); i != waiters.end()) {
    for (auto& w : i->second) w.deliver(result...);
    waiters.erase(i);
  }
}

/// Ends a payment with a business outcome: remembered under its key, written together
/// with `extra` (closing the intent), then sent to the caller and every request that
/// waited on the same key.
void finish_payment(wallet_pointer self, const payment_run& run, const pay_outcome& out,
                    write_batch extra = {}) {
  auto& st = self->state;
  touch(self);
  st.core.finish_pay(run.rid, run.key, out);
  st.chain.commit(
      self, wallet_batch(self, std::move(extra)),
      [self, run, out] {
        tell_payers(self, run, out.result, out.paid);
        try_stop(self);
      },
      [self, run](const caf::error& err) {
        tell_payers(self, run, err);
        try_stop(self);
      });
}

/// Ends a payment after an infrastructure error before any debit: nothing is
/// remembered, so the client may retry with the same key.
void abort_payment(wallet_pointer self, const payment_run& run, const caf::error& err) {
  auto& st = self->state;
  touch(self);
  st.core.abort_pay(run.rid, run.key);
  tell_payers(self, run, err);
  try_stop(self);
}

/// The batch op closing the payment intent of `rid` (none in memory).
write_batch close_intent(wallet_pointer self, reservation_id rid) {
  write_batch b;
  if (self->state.chain.persistent()) b.erase(family::intents, keys::encode_intent(rid));
  return b;
}

/// A test crash point: the payment stops here as if the process died (nothing more is
/// written; the caller hears an error). True when it fired.
bool crashed_at(wallet_pointer self, const payment_run& run, payment_crash_point where) {
  if (self->state.crash_at != where) return false;
  tell_payers(self, run, caf::make_error(caf::sec::runtime_error, "test crash point"));
  return true;
}

/// Step 4: the seat is sold; end the user's token so the next fan comes in, then close
/// the intent. The gate answers once the end's write is queued, so the closing write
/// follows it and its ack covers both. A failed end does not undo the sale: the token's
/// TTL ends it anyway.
void end_token(wallet_pointer self, const payment_run& run, const payment& paid) {
  auto& st = self->state;
  auto done = [=] {
    finish_payment(self, run, {code::created, paid}, close_intent(self, run.rid));
  };
  auto id = open_step(self, done);
  self->request(st.gate, caf::infinite, end_atom::value, st.core.user())
      .then(
          [=](code) {
            if (close_step(self, id)) done();
          },
          [=](caf::error&) {
            if (close_step(self, id)) done();
          });
}

void sell_seat(wallet_pointer self, const payment_run& run, const payment& paid);

/// The sale's answer was lost after the debit: the caller hears the error now, the
/// payment stays open (its key keeps waiting) and the sale is asked again, because a
/// sale is idempotent: ok when this reservation bought the seat, a refusal when it
/// cannot any more (then the debit is voided). Never both, never neither.
void sale_in_doubt(wallet_pointer self, const payment_run& run, const payment& paid,
                   const caf::error& err) {
  tell_payers(self, run, err);
  // The caller has its answer; a copy of its promise must not answer twice.
  self->state.in_doubt[run.rid] = {payment_run{run.rid, run.key, pay_promise{}}, paid};
  self->delayed_send(self, sell_retry_interval, retry_atom::value, run.rid);
}

void on_retry(wallet_pointer self, reservation_id rid) {
  auto i = self->state.in_doubt.find(rid);
  if (i == self->state.in_doubt.end()) return;
  auto [run, paid] = std::move(i->second);
  self->state.in_doubt.erase(i);
  sell_seat(self, run, paid);
}

/// Step 3: PAYING -> SOLD.
void sell_seat(wallet_pointer self, const payment_run& run, const payment& paid) {
  auto& st = self->state;
  auto id = open_step(self, [=] { sale_in_doubt(self, run, paid, step_timed_out()); });
  self->request(st.catalog, caf::infinite, sell_atom::value, st.core.user(), run.rid)
      .then(
          [=](code c) {
            if (!close_step(self, id)) return;
            if (c == code::ok) {
              if (!crashed_at(self, run, payment_crash_point::after_sale))
                end_token(self, run, paid);
              return;
            }
            // The seat left PAYING (its pay timeout passed): the sale is refused for
            // sure, so the points go back, in the batch that closes the intent.
            self->state.core.void_debit(run.rid, now_of(self));
            finish_payment(self, run, {c, {}}, close_intent(self, run.rid));
          },
          [=](caf::error& err) {
            if (close_step(self, id)) sale_in_doubt(self, run, paid, err);
          });
}

/// Refused payment: PAYING -> HELD with the original deadline, then the refusal.
/// An unlock that fails is harmless: the seat's pay timeout puts it back as well.
void unlock_seat(wallet_pointer self, const payment_run& run, code why) {
  auto& st = self->state;
  auto done = [=] { finish_payment(self, run, {why, {}}); };
  auto id = open_step(self, done);
  self->request(st.catalog, caf::infinite, unlock_atom::value, st.core.user(), run.rid)
      .then(
          [=](code) {
            if (close_step(self, id)) done();
          },
          [=](caf::error&) {
            if (close_step(self, id)) done();
          });
}

/// Step 2: debit keyed by the reservation id, durable together with the payment intent
/// before the seat's sale can be: the sale is asked for once the batch is queued, and
/// the block's SOLD record follows it through the writer (FIFO, fail-stop), so a stored
/// sale always has its stored debit, and a crash from here on is settled by recovery.
/// Nobody hears of the payment before the closing write (step 4) is acked.
void debit_points(wallet_pointer self, const payment_run& run) {
  auto& st = self->state;
  auto out = st.core.debit(run.rid, now_of(self));
  if (out.result != code::ok) {
    unlock_seat(self, run, out.result);
    return;
  }
  write_batch intent;
  if (st.chain.persistent())
    intent.put(family::intents, keys::encode_intent(run.rid),
               records::encode_intent({st.core.user(), out.paid.amount, run.key}));
  // The test crash point after the debit needs the debit durable first.
  bool pipelined = st.chain.persistent() && st.crash_at != payment_crash_point::after_debit;
  st.chain.commit(
      self, wallet_batch(self, std::move(intent)),
      [=] {
        if (!pipelined && !crashed_at(self, run, payment_crash_point::after_debit))
          sell_seat(self, run, out.paid);
      },
      // Not durable, so not done: fail-stop keeps this wallet answering errors from now
      // on (a pipelined payment's closing write fails too), and the seat's pay timeout
      // releases the lock.
      [=](const caf::error& err) {
        if (!pipelined) abort_payment(self, run, err);
      });
  if (pipelined) sell_seat(self, run, out.paid);
}

/// Step 1: HELD -> PAYING. A refusal (expired, not payable) is the answer as is.
void lock_seat(wallet_pointer self, const payment_run& run) {
  auto& st = self->state;
  auto id = open_step(self, [=] { abort_payment(self, run, step_timed_out()); });
  self->request(st.catalog, caf::infinite, lock_atom::value, st.core.user(), run.rid)
      .then(
          [=](code c) {
            if (!close_step(self, id)) return;
            if (c == code::ok)
              debit_points(self, run);
            else
              finish_payment(self, run, {c, {}});
          },
          [=](caf::error& err) {
            if (close_step(self, id)) abort_payment(self, run, err);
          });
}

pay_promise pay(wallet_pointer self, reservation_id rid, const std::string& key) {
  auto& st = self->state;
  auto now = touch(self);
  auto rp = self->make_response_promise<code, payment>();
  if (st.chain.failed()) {  // fail-stop: start nothing that cannot be written
    rp.deliver(st.chain.failure());
    return rp;
  }
  auto plan = st.core.begin_pay(rid, key, now);
  switch (plan.step) {
    case pay_step::reply:
      reply_durable(self, rp, plan.outcome.result, plan.outcome.paid);
      break;
    case pay_step::wait:
      st.waiters[key].push_back(rp);
      break;
    case pay_step::lock:
      lock_seat(self, payment_run{rid, key, rp});
      break;
  }
  return rp;
}

user_wallet_actor::behavior_type wallet_behavior(wallet_pointer self, wallet core,
                                                 wallet_config cfg, catalog_actor catalog,
                                                 gate_actor gate, wallet_registry_actor registry,
                                                 time_base tb, wallet_persistence persist) {
  auto& st = self->state;
  st.core = std::move(core);
  st.written_revision = st.core.revision();
  st.cfg = cfg;
  st.catalog = std::move(catalog);
  st.gate = std::move(gate);
  st.registry = std::move(registry);
  st.tb = tb;
  st.chain = write_chain{std::move(persist.writer)};
  st.crash_at = persist.crash_at;
  touch(self);
  return {
      [=](charge_atom, user_id, points amount) {
        auto rp = self->make_response_promise<code, points>();
        auto now = touch(self);
        auto& w = self->state.core;
        auto c = w.charge(amount, now, self->state.cfg.max_balance);
        reply_durable(self, rp, c, w.balance());
        return rp;
      },
      [=](balance_atom, user_id) {
        auto rp = self->make_response_promise<points>();
        touch(self);
        reply_durable(self, rp, self->state.core.balance());
        return rp;
      },
      [=](history_atom, user_id) {
        auto rp = self->make_response_promise<std::vector<history_entry>>();
        touch(self);
        reply_durable(self, rp, self->state.core.history());
        return rp;
      },
      [=](hold_atom, user_id, schedule_id schedule, seat_no seat) {
        return hold(self, schedule, seat);
      },
      [=](resv_atom, user_id, reservation_id rid) {
        auto rp = self->make_response_promise<code, reservation>();
        auto r = self->state.core.view(rid, touch(self));
        if (r)
          reply_durable(self, rp, code::ok, *r);
        else
          reply_durable(self, rp, code::reservation_not_found, reservation{});
        return rp;
      },
      [=](pay_atom, user_id, reservation_id rid, const std::string& key) {
        return pay(self, rid, key);
      },
      [=](stop_atom) {
        self->state.stop_asked = true;
        try_stop(self);
      },
      [=](idle_atom) { on_idle(self); },
      [=](retry_atom, reservation_id rid) { on_retry(self, rid); },
      [=](expire_atom) { on_watchdog(self); },
  };
}

// ---------------------------------------------------------------------------------
// The registry.

/// A request that arrived while its wallet was stopping: replayed to the fresh wallet,
/// or failed with the error when none could be activated.
using parked_request = std::function<void(const caf::expected<user_wallet_actor>&)>;

struct registry_entry {
  user_wallet_actor wallet;
  time_us last_routed = 0;  ///< for the idle sweep
  bool stopping = false;
  std::vector<parked_request> parked;
};

/// Sweeps per idle timeout: an idle wallet goes at most a quarter late.
constexpr time_us sweeps_per_idle = 4;

struct registry_state {
  wallet_persistence persist;
  wallet_config cfg;
  catalog_actor catalog;
  gate_actor gate;
  time_base tb;
  std::shared_ptr<wallet_archive> archive;
  std::unordered_map<user_id, registry_entry> live;
  std::map<caf::actor_addr, user_id> users_by_addr;  ///< for down messages
  bool sweep_armed = false;
  wallet_stats stats;
  static inline const char* name = "wallet_registry";
};

using registry_pointer = wallet_registry_actor::stateful_pointer<registry_state>;

time_us now_of(registry_pointer self) { return self->state.tb.now(self->clock()); }

void arm_sweep(registry_pointer self) {
  auto& st = self->state;
  if (st.sweep_armed || st.cfg.idle_timeout <= 0) return;
  st.sweep_armed = true;
  const time_us period = std::max<time_us>(1, st.cfg.idle_timeout / sweeps_per_idle);
  self->delayed_send(self, std::chrono::microseconds(period), idle_atom::value);
}

/// Asks every wallet not routed to for the idle timeout whether it is idle (it knows
/// its own last activity and whether anything is in flight); runs while any is live.
void sweep(registry_pointer self) {
  auto& st = self->state;
  st.sweep_armed = false;
  const time_us now = now_of(self);
  for (auto& [u, e] : st.live)
    if (!e.stopping && now - e.last_routed >= st.cfg.idle_timeout)
      self->send(e.wallet, idle_atom::value);
  if (!st.live.empty()) arm_sweep(self);
}

/// The user's live entry, activating the wallet from the archive when needed. nullptr
/// when the user has no wallet anywhere and `create` is false (so reads of a never-seen
/// user spawn nothing and archive nothing); an error when the archive is corrupt.
caf::expected<registry_entry*> entry_for(registry_pointer self, user_id u, bool create) {
  auto& st = self->state;
  if (auto i = st.live.find(u); i != st.live.end()) return &i->second;
  auto read = st.archive->load(u);
  if (!read.error.empty())
    return caf::make_error(caf::sec::runtime_error,
                           "reading the wallet of user " + std::to_string(u) + ": " + read.error);
  auto& bytes = read.bytes;
  if (!bytes && !create) return static_cast<registry_entry*>(nullptr);
  wallet core{u};
  if (bytes) {
    auto w = wallet::decode(*bytes);
    if (!w || w->user() != u)
      return caf::make_error(caf::sec::runtime_error,
                             "corrupt archived wallet of user " + std::to_string(u));
    core = std::move(*w);
  }
  auto me = caf::actor_cast<wallet_registry_actor>(self);
  auto w = self->spawn(wallet_behavior, std::move(core), st.cfg, st.catalog, st.gate, me, st.tb,
                       st.persist);
  self->monitor(w);
  st.users_by_addr.emplace(w.address(), u);
  ++st.stats.activated_total;
  auto& e = st.live[u];
  e.wallet = std::move(w);
  e.last_routed = now_of(self);
  arm_sweep(self);
  return &e;
}

/// Sends a request on to the user's wallet (the wallet answers the caller directly),
/// parks it while the wallet is stopping, or answers with `on_unknown` for a user
/// that has no wallet when `create` is false.
template <class Promise, class Unknown, class... Ts>
Promise route(registry_pointer self, user_id u, bool create, Promise rp, Unknown on_unknown,
              const Ts&... xs) {
  auto e = entry_for(self, u, create);
  if (!e) {
    rp.deliver(e.error());
    return rp;
  }
  if (*e == nullptr) {
    on_unknown(rp);
    return rp;
  }
  auto& entry = **e;
  if (!entry.stopping) {
    entry.last_routed = now_of(self);
    rp.delegate(entry.wallet, xs...);
    return rp;
  }
  entry.parked.push_back([rp, xs...](const caf::expected<user_wallet_actor>& w) mutable {
    if (w)
      rp.delegate(*w, xs...);
    else
      rp.deliver(w.error());
  });
  ++self->state.stats.parked_total;
  return rp;
}

/// The wallet at `addr` is gone: archive what it sent (nothing when it died without
/// answering: the archive keeps the last saved state), then replay the parked requests
/// to a fresh wallet. Runs once per wallet, whichever of stop answer or down is first.
void stopped(registry_pointer self, user_id u, const caf::actor_addr& addr,
             std::optional<std::string> bytes) {
  auto& st = self->state;
  auto i = st.live.find(u);
  if (i == st.live.end() || i->second.wallet.address() != addr) return;
  if (bytes && !bytes->empty()) st.archive->save(u, std::move(*bytes));
  if (bytes) ++st.stats.passivated_total;
  auto parked = std::move(i->second.parked);
  st.users_by_addr.erase(addr);
  st.live.erase(i);
  if (parked.empty()) return;
  auto e = entry_for(self, u, true);
  caf::expected<user_wallet_actor> next = caf::sec::runtime_error;
  if (e)
    next = (*e)->wallet;
  else
    next = e.error();
  for (auto& p : parked) p(next);
}

/// Handshake step 2: the sender must still be the user's current wallet; it is marked
/// stopping (new requests park) and asked to stop. Everything routed to it before is
/// ahead of the stop in its mailbox, so it is answered first.
void on_passivate(registry_pointer self, user_id u) {
  auto& st = self->state;
  auto i = st.live.find(u);
  if (i == st.live.end() || i->second.stopping) return;
  auto addr = i->second.wallet.address();
  if (caf::actor_cast<caf::actor_addr>(self->current_sender()) != addr) return;
  i->second.stopping = true;
  self->send(i->second.wallet, stop_atom::value);
}

void on_down(registry_pointer self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto j = st.users_by_addr.find(dm.source);
  if (j == st.users_by_addr.end()) return;
  auto u = j->second;
  auto i = st.live.find(u);
  if (i != st.live.end() && i->second.wallet.address() == dm.source && i->second.stopping) {
    stopped(self, u, dm.source, std::nullopt);
    return;
  }
  // Died while serving (a bug or a kill): forget it, the next request starts again
  // from the archive.
  st.users_by_addr.erase(j);
  if (i != st.live.end() && i->second.wallet.address() == dm.source) st.live.erase(i);
}

/// Shutdown: every wallet goes too, and parked requests get an error instead of
/// waiting forever (a dropped promise never answers in CAF 0.17).
void on_exit(registry_pointer self, const caf::exit_msg& msg) {
  auto& st = self->state;
  for (auto& [u, e] : st.live) {
    self->send_exit(e.wallet, msg.reason);
    for (auto& p : e.parked) p(caf::make_error(caf::sec::request_receiver_down));
  }
  st.live.clear();
  st.users_by_addr.clear();
  self->quit(msg.reason);
}

wallet_registry_actor::behavior_type registry_behavior(registry_pointer self, wallet_config cfg,
                                                       catalog_actor catalog, gate_actor gate,
                                                       time_base tb,
                                                       std::shared_ptr<wallet_archive> archive,
                                                       wallet_persistence persist) {
  auto& st = self->state;
  st.persist = std::move(persist);
  st.cfg = cfg;
  st.catalog = std::move(catalog);
  st.gate = std::move(gate);
  st.tb = tb;
  st.archive = std::move(archive);
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([=](caf::exit_msg& msg) { on_exit(self, msg); });
  auto never = [](auto&) {};  // creating routes never meet an unknown user
  return {
      [=](charge_atom a, user_id u, points amount) {
        return route(self, u, true, self->make_response_promise<code, points>(), never, a, u,
                     amount);
      },
      [=](balance_atom a, user_id u) {
        return route(
            self, u, false, self->make_response_promise<points>(),
            [](auto& rp) { rp.deliver(points{0}); }, a, u);
      },
      [=](history_atom a, user_id u) {
        return route(
            self, u, false, self->make_response_promise<std::vector<history_entry>>(),
            [](auto& rp) { rp.deliver(std::vector<history_entry>{}); }, a, u);
      },
      [=](hold_atom a, user_id u, schedule_id schedule, seat_no seat) {
        return route(self, u, true, self->make_response_promise<code, reservation>(), never, a, u,
                     schedule, seat);
      },
      [=](resv_atom a, user_id u, reservation_id rid) {
        return route(
            self, u, false, self->make_response_promise<code, reservation>(),
            [](auto& rp) { rp.deliver(code::reservation_not_found, reservation{}); }, a, u, rid);
      },
      [=](pay_atom a, user_id u, reservation_id rid, const std::string& key) {
        return route(
            self, u, false, self->make_response_promise<code, payment>(),
            [](auto& rp) { rp.deliver(code::reservation_not_found, payment{}); }, a, u, rid, key);
      },
      [=](passiv_atom, user_id u) { on_passivate(self, u); },
      [=](idle_atom) { sweep(self); },
      [=](stopped_atom, user_id u, std::string& bytes) {
        stopped(self, u, caf::actor_cast<caf::actor_addr>(self->current_sender()),
                std::move(bytes));
      },
      [=](stats_atom) {
        auto s = self->state.stats;
        s.live = self->state.live.size();
        return s;
      },
  };
}

}  // namespace

wallet_registry_actor spawn_wallet_registry(caf::actor_system& sys, wallet_config cfg,
                                            catalog_actor catalog, gate_actor gate, time_base tb,
                                            std::shared_ptr<wallet_archive> archive,
                                            wallet_persistence persist) {
  return sys.spawn(registry_behavior, cfg, std::move(catalog), std::move(gate), tb,
                   std::move(archive), std::move(persist));
}

wallet_actor spawn_wallets(caf::actor_system& sys, wallet_config cfg, catalog_actor catalog,
                           gate_actor gate, time_base tb) {
  return spawn_wallet_registry(sys, cfg, std::move(catalog), std::move(gate), tb,
                               std::make_shared<memory_wallet_archive>());
}

}  // namespace concert
