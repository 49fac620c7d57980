// The driver actors. Fan steps: schedule (wait the think time) -> execute (guard check,
// then the request) -> deliver (record, ask the journey what next) -> schedule. The
// final read-back keeps a bounded number of requests in flight. With several drivers
// each owns the fans f with f % drivers == its shard (its per-fan slots are indexed by
// f / drivers) and they share the recorder under a lock; the lead samples and collects.

#include "simulation/driver.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <set>

#include "actors/rng.hpp"
#include "simulation/wake_wheel.hpp"

namespace concert::sim {

namespace {

using wake_atom = caf::atom_constant<caf::atom("wake")>;
using sample_atom = caf::atom_constant<caf::atom("sample")>;
using collect_atom = caf::atom_constant<caf::atom("collect")>;
using crashed_atom = caf::atom_constant<caf::atom("crashed")>;

/// One read of the final state.
struct collect_task {
  enum kind_t : uint8_t { seats, balance, history, resv, gate, catalog, admissions } kind = seats;
  uint64_t a = 0, b = 0;
};

struct driver_state {
  driver_context* ctx = nullptr;
  uint32_t shard = 0, shards = 1;
  caf::actor lead;  ///< the lead driver; empty in the lead itself
  // Think times wait in this wheel behind one CAF timer for the earliest of them: a
  // delayed_send per fan step would cost an allocation and a multimap insert each, and
  // fans due in the same millisecond share one timer.
  // Small (4 s span) unless one driver has all the fans: a full wheel is 1.5 MB of empty
  // slots, and the live mode runs 64 drivers.
  wake_wheel wakes{1000, 1u << 12};
  std::vector<uint32_t> due_now;  ///< scratch for wake()
  std::set<time_us> armed;        ///< due times of the wake timers in flight
  rng jitter{0};                  ///< fault injection: extra delay per request
  std::vector<action> pending;    ///< the action each own fan sent or waits to send
  /// The system generation each fan's request in flight went to (0: none in flight).
  /// A crash starts a new generation: requests of older ones get a failure at once
  /// (a dropped promise never answers in CAF 0.17) and their late replies are ignored.
  std::vector<uint32_t> request_gen;
  uint32_t generation = 1;
  std::vector<std::chrono::steady_clock::time_point> sent_at;  ///< live: latency
  uint32_t next_fan = 0;  ///< closed model: the next own fan to start
  std::vector<collect_task> tasks;
  size_t next_task = 0, in_flight = 0;
  bool collecting = false;
};

using driver_actor = caf::stateful_actor<driver_state>;

constexpr size_t collect_window = 1024;

/// Index of an own fan in the driver's per-fan slots.
uint32_t slot(const driver_state& st, uint32_t fan) { return fan / st.shards; }

/// A new stamp, ordered across every driver.
uint64_t next_stamp(driver_state& st) { return ++st.ctx->stamp; }

/// The recorder's lock, taken only when several drivers share it.
std::unique_lock<std::mutex> lock_rec(driver_state& st) {
  if (st.shards == 1) return std::unique_lock<std::mutex>{};
  return std::unique_lock<std::mutex>{st.ctx->rec_lock};
}

time_us run_now(driver_actor* self) {
  const auto& tb = self->state.ctx->sys.clock;
  return tb.now(self->clock()) - tb.epoch_at_start;
}

void execute(driver_actor* self, uint32_t fan);
void deliver(driver_actor* self, uint32_t fan, outcome& o, uint64_t stamp);
void start_fan(driver_actor* self, uint32_t fan);

void finish_fan(driver_actor* self, uint32_t fan) {
  auto& st = self->state;
  auto& ctx = *st.ctx;
  {
    auto guard = lock_rec(st);
    ctx.rec.finished(ctx.fans[fan].user(), ctx.fans[fan].how(), run_now(self));
  }
  const uint64_t done = ++ctx.finished;
  if (ctx.concurrency > 0 && st.next_fan < ctx.fans.size() && !ctx.stop) {
    const uint32_t next = st.next_fan;
    st.next_fan += st.shards;
    start_fan(self, next);
  }
  if (done == ctx.fans.size()) {
    ctx.fans_done_wall = std::chrono::steady_clock::now();
    if (!ctx.live) return;
    if (st.lead)
      self->send(st.lead, collect_atom::value);
    else
      self->send(self, collect_atom::value);
  }
}

/// Makes sure a wake timer fires by `due`.
void arm(driver_actor* self, time_us due) {
  auto& st = self->state;
  if (!st.armed.empty() && *st.armed.begin() <= due) return;
  st.armed.insert(due);
  const time_us delay = std::max<time_us>(1, due - run_now(self));
  self->delayed_send(self, std::chrono::microseconds(delay), wake_atom::value, due);
}

/// Waits the action's time (scaled in live mode), then executes it.
void schedule(driver_actor* self, uint32_t fan, action a) {
  auto& st = self->state;
  auto& ctx = *st.ctx;
  if (a.kind == op::done) return finish_fan(self, fan);
  if (ctx.stop) return;
  time_us delay = a.at - run_now(self);
  if (ctx.live && a.kind != op::poll)  // polls are already capped to real time
    delay = static_cast<time_us>(static_cast<double>(delay) * ctx.time_scale);
  if (ctx.jitter > 0)
    delay = std::max<time_us>(delay, 0) +
            static_cast<time_us>(st.jitter.below(static_cast<uint64_t>(ctx.jitter) + 1));
  st.pending[slot(st, fan)] = std::move(a);
  if (delay <= 0) return execute(self, fan);
  const time_us due = run_now(self) + delay;
  st.wakes.push(due, fan);
  arm(self, st.wakes.rounded(due));
}

/// Runs every fan whose time has come, then sets the timer for the next one.
void wake(driver_actor* self, time_us due) {
  auto& st = self->state;
  st.armed.erase(due);
  if (st.ctx->stop) return;
  st.due_now.clear();
  st.wakes.pop_due(run_now(self), st.due_now);
  for (uint32_t fan : st.due_now) execute(self, fan);
  if (auto next = st.wakes.next()) arm(self, *next);
}

void start_fan(driver_actor* self, uint32_t fan) {
  auto a = self->state.ctx->fans[fan].start();
  if (self->state.ctx->concurrency > 0) a.at = run_now(self);  // closed model: now
  schedule(self, fan, std::move(a));
}

/// Sends the request of `a` itself (its guard, if any, has passed); `done` gets the reply.
template <class Done>
void send_op(driver_actor* self, uint32_t fan, const action& a, Done done) {
  auto& ctx = *self->state.ctx;
  const user_id user = ctx.fans[fan].user();
  const auto& h = ctx.sys;
  auto fail = [=](caf::error&) {
    outcome o;
    o.failed = true;
    done(o);
  };
  auto token_reply = [=](code c, token_view v) {
    outcome o;
    o.c = c;
    o.token = std::move(v);
    done(o);
  };
  switch (a.kind) {
    case op::issue:
      self->request(h.gate, ctx.timeout, issue_atom::value, user).then(token_reply, fail);
      break;
    case op::poll:
      self->request(h.gate, ctx.timeout, poll_atom::value, ctx.fans[fan].token())
          .then(token_reply, fail);
      break;
    case op::leave:
      self->request(h.gate, ctx.timeout, leave_atom::value, ctx.fans[fan].token())
          .then(
              [=](code c) {
                outcome o;
                o.c = c;
                done(o);
              },
              fail);
      break;
    case op::charge:
      self->request(h.wallets, ctx.timeout, charge_atom::value, user, a.amount)
          .then(
              [=](code c, points b) {
                outcome o;
                o.c = c;
                o.balance = b;
                done(o);
              },
              fail);
      break;
    case op::concerts:
      self->request(h.catalog, ctx.timeout, concerts_atom::value)
          .then(
              [=](std::vector<concert_info> v) {
                outcome o;
                o.concerts = std::move(v);
                done(o);
              },
              fail);
      break;
    case op::schedules:
      self->request(h.catalog, ctx.timeout, schedules_atom::value, a.concert)
          .then(
              [=](code c, std::vector<schedule_info> v) {
                outcome o;
                o.c = c;
                o.schedules = std::move(v);
                done(o);
              },
              fail);
      break;
    case op::seats:
      self->request(h.catalog, ctx.timeout, seats_atom::value, a.schedule, false)
          .then(
              [=](code c, std::vector<seat_info> v) {
                outcome o;
                o.c = c;
                o.seats = std::move(v);
                done(o);
              },
              fail);
      break;
    case op::hold:
      self->request(h.wallets, ctx.timeout, hold_atom::value, user, a.schedule, a.seat)
          .then(
              [=](code c, reservation r) {
                outcome o;
                o.c = c;
                o.resv = r;
                done(o);
              },
              fail);
      break;
    case op::pay:
      self->request(h.wallets, ctx.timeout, pay_atom::value, user, a.resv, a.key)
          .then(
              [=](code c, payment p) {
                outcome o;
                o.c = c;
                o.pay = p;
                done(o);
              },
              fail);
      break;
    case op::none:
    case op::done:
      break;
  }
}

/// The edge's token guard first (as concertd does for every guarded route), then the op.
template <class Done>
void guarded_send(driver_actor* self, uint32_t fan, const action& a, Done done) {
  auto& ctx = *self->state.ctx;
  if (!is_guarded(a.kind)) return send_op(self, fan, a, done);
  {
    auto guard = lock_rec(self->state);
    ctx.rec.count_operation();
  }
  self->request(ctx.sys.gate, ctx.timeout, check_atom::value, ctx.fans[fan].token())
      .then(
          [=](code c, user_id) {
            if (c == code::ok) return send_op(self, fan, a, done);
            outcome o;
            o.c = c;
            done(o);
          },
          [=](caf::error&) {
            outcome o;
            o.failed = true;
            done(o);
          });
}

void execute(driver_actor* self, uint32_t fan) {
  auto& st = self->state;
  const uint32_t k = slot(st, fan);
  const uint64_t stamp = next_stamp(st);
  if (st.ctx->live) st.sent_at[k] = std::chrono::steady_clock::now();
  const action& a = st.pending[k];
  const uint32_t gen = st.request_gen[k] = st.generation;
  guarded_send(self, fan, a, [=](outcome& o) {
    if (self->state.request_gen[k] != gen) return;  // failed by a crash already
    deliver(self, fan, o, stamp);
  });
  if (!a.twice) return;
  // The double click: the same request again at once; only the recorder sees its reply.
  const uint64_t copy_stamp = next_stamp(st);
  guarded_send(self, fan, a, [=, copy = a](outcome& o) {
    auto& ctx = *self->state.ctx;
    if (self->state.generation != gen) return;
    const uint64_t recv = ctx.rec.ordered_channel() ? copy_stamp : next_stamp(self->state);
    auto guard = lock_rec(self->state);
    ctx.rec.observe(fan, ctx.fans[fan].user(), copy, o, run_now(self), copy_stamp, recv);
  });
}

/// The system crashed and was restarted: every request still in flight is lost, so its
/// fan gets a failure now (in fan order, so the trace stays reproducible).
void crashed(driver_actor* self) {
  auto& st = self->state;
  const uint32_t old = st.generation++;
  for (uint32_t k = 0; k < st.request_gen.size(); ++k) {
    if (st.request_gen[k] == 0 || st.request_gen[k] > old) continue;
    outcome o;
    o.failed = true;
    deliver(self, st.shard + k * st.shards, o, next_stamp(st));
  }
}

void deliver(driver_actor* self, uint32_t fan, outcome& o, uint64_t stamp) {
  auto& st = self->state;
  auto& ctx = *st.ctx;
  const uint32_t k = slot(st, fan);
  st.request_gen[k] = 0;
  const time_us now = run_now(self);
  // One driver talking to one gate: its messages are handled in send order, so the
  // send stamp also orders what the gate saw (see invariants.hpp). Several drivers
  // need the receive stamp too.
  const uint64_t recv = ctx.rec.ordered_channel() ? stamp : next_stamp(st);
  uint32_t latency_us = 0;
  if (ctx.live) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - st.sent_at[k])
                  .count();
    latency_us = static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX));
  }
  const action& sent = st.pending[k];
  fan_journey& j = ctx.fans[fan];
  {
    auto guard = lock_rec(st);
    if (ctx.live) ctx.rec.latency(latency_us);
    ctx.rec.observe(fan, j.user(), sent, o, now, stamp, recv);
    ctx.last_activity = std::max(ctx.last_activity, now);
  }
  action next = j.on_reply(sent, o, now);
  schedule(self, fan, std::move(next));
}

void sample(driver_actor* self) {
  auto& ctx = *self->state.ctx;
  if (ctx.stop || ctx.finished == ctx.fans.size()) return;
  self->request(ctx.sys.gate, ctx.timeout, stats_atom::value)
      .then(
          [=](gate_stats g) {
            auto guard = lock_rec(self->state);
            self->state.ctx->rec.sample(run_now(self), g.waiting, g.active);
          },
          [](caf::error&) {});
  auto period = ctx.live ? std::chrono::microseconds(seconds_us(1))
                         : std::chrono::microseconds(ctx.sample_period);
  self->delayed_send(self, period, sample_atom::value);
}

// ---- reading the final state back ----

std::vector<collect_task> collect_tasks(const driver_context& ctx) {
  std::vector<collect_task> t;
  t.push_back({collect_task::gate, 0, 0});
  t.push_back({collect_task::catalog, 0, 0});
  t.push_back({collect_task::admissions, 0, 0});
  for (auto s : ctx.schedules) t.push_back({collect_task::seats, s, 0});
  std::set<user_id> users;
  for (const auto& [u, tally] : ctx.rec.users()) users.insert(u);
  for (const auto& h : ctx.rec.holds()) users.insert(h.user);
  for (auto u : users) {
    t.push_back({collect_task::balance, u, 0});
    t.push_back({collect_task::history, u, 0});
  }
  for (const auto& h : ctx.rec.holds()) t.push_back({collect_task::resv, h.user, h.id});
  return t;
}

void pump(driver_actor* self);

void task_done(driver_actor* self) {
  --self->state.in_flight;
  pump(self);
}

void run_task(driver_actor* self, const collect_task& t) {
  auto& ctx = *self->state.ctx;
  const auto& h = ctx.sys;
  auto fail = [=](caf::error&) {
    ++self->state.ctx->collect_failures;
    task_done(self);
  };
  driver_context* c = &ctx;
  switch (t.kind) {
    case collect_task::gate:
      self->request(h.gate, ctx.timeout, stats_atom::value)
          .then(
              [=](gate_stats g) {
                c->gate = g;
                task_done(self);
              },
              fail);
      break;
    case collect_task::admissions:
      self->request(h.gate, ctx.timeout, admissions_atom::value)
          .then(
              [=](std::vector<uint64_t> v) {
                c->fs.admissions = std::move(v);
                task_done(self);
              },
              fail);
      break;
    case collect_task::catalog:
      self->request(h.catalog, ctx.timeout, stats_atom::value)
          .then(
              [=](seat_stats s) {
                c->seats = s;
                task_done(self);
              },
              fail);
      break;
    case collect_task::seats: {
      const schedule_id s = t.a;
      self->request(h.catalog, ctx.timeout, seats_atom::value, s, true)
          .then(
              [=](code rc, std::vector<seat_info> v) {
                std::sort(v.begin(), v.end(),
                          [](const seat_info& x, const seat_info& y) { return x.seat < y.seat; });
                if (rc == code::ok)
                  c->fs.seats[s] = std::move(v);
                else
                  ++c->collect_failures;
                task_done(self);
              },
              fail);
      break;
    }
    case collect_task::balance: {
      const user_id u = t.a;
      self->request(h.wallets, ctx.timeout, balance_atom::value, u)
          .then(
              [=](points b) {
                c->fs.balances[u] = b;
                task_done(self);
              },
              fail);
      break;
    }
    case collect_task::history: {
      const user_id u = t.a;
      self->request(h.wallets, ctx.timeout, history_atom::value, u)
          .then(
              [=](std::vector<history_entry> v) {
                c->fs.histories[u] = std::move(v);
                task_done(self);
              },
              fail);
      break;
    }
    case collect_task::resv: {
      const reservation_id id = t.b;
      self->request(h.wallets, ctx.timeout, resv_atom::value, user_id{t.a}, id)
          .then(
              [=](code rc, reservation r) {
                if (rc == code::ok) c->fs.reservations[id] = r;
                task_done(self);
              },
              fail);
      break;
    }
  }
}

void pump(driver_actor* self) {
  auto& st = self->state;
  while (st.in_flight < collect_window && st.next_task < st.tasks.size()) {
    ++st.in_flight;
    run_task(self, st.tasks[st.next_task++]);
  }
  if (st.in_flight > 0 || st.next_task < st.tasks.size()) return;
  auto& ctx = *st.ctx;
  ctx.fs.now = ctx.sys.clock.now(self->clock());
  ctx.collected = true;
  if (ctx.listener) self->send(ctx.listener, sim_done_atom::value);
}

void start_collect(driver_actor* self) {
  auto& st = self->state;
  if (st.collecting) return;
  st.collecting = true;
  {
    auto guard = lock_rec(st);
    st.tasks = collect_tasks(*st.ctx);
  }
  pump(self);
}

/// Fans in flight at the start for `shard`: its share of the concurrency, or all its fans.
uint32_t first_fans(const driver_context& ctx, uint32_t shard, uint32_t shards) {
  const auto n = static_cast<uint32_t>(ctx.fans.size());
  const uint32_t own = n / shards + (shard < n % shards ? 1 : 0);
  if (ctx.concurrency == 0) return own;
  const uint32_t share = ctx.concurrency / shards + (shard < ctx.concurrency % shards ? 1 : 0);
  return std::min(share, own);
}

caf::behavior driver(driver_actor* self, driver_context* ctx, uint32_t shard, caf::actor lead) {
  auto& st = self->state;
  st.ctx = ctx;
  st.shard = shard;
  st.shards = ctx->drivers;
  st.lead = std::move(lead);
  st.jitter = rng{ctx->jitter_seed ^ shard};
  if (st.shards == 1) st.wakes = wake_wheel{};  // all the fans: the full 65 s span
  const uint32_t own = (static_cast<uint32_t>(ctx->fans.size()) + st.shards - 1) / st.shards;
  st.pending.resize(own);
  st.request_gen.resize(own, 0);
  if (ctx->live) st.sent_at.resize(own);
  const uint32_t first = first_fans(*ctx, shard, st.shards);
  st.next_fan = shard;
  for (uint32_t i = 0; i < first; ++i) {
    const uint32_t fan = st.next_fan;
    st.next_fan += st.shards;
    start_fan(self, fan);
  }
  if (shard == 0) sample(self);
  return {
      [=](wake_atom, time_us due) { wake(self, due); },
      [=](sample_atom) { sample(self); },
      [=](collect_atom) { start_collect(self); },
      [=](crashed_atom) { crashed(self); },
  };
}

}  // namespace

void request_collect(const caf::actor& d) { caf::anon_send(d, collect_atom::value); }

void notify_crash(const caf::actor& d) { caf::anon_send(d, crashed_atom::value); }

caf::actor spawn_driver(caf::actor_system& sys, driver_context& ctx) {
  ctx.drivers = std::max<uint32_t>(1, ctx.drivers);
  if (ctx.drivers > 1) ctx.rec.set_ordered_channel(false);
  ctx.shards.clear();
  ctx.shards.push_back(sys.spawn(driver, &ctx, uint32_t{0}, caf::actor{}));
  for (uint32_t s = 1; s < ctx.drivers; ++s)
    ctx.shards.push_back(sys.spawn(driver, &ctx, s, ctx.shards.front()));
  return ctx.shards.front();
}

}  // namespace concert::sim
