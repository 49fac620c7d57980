// One in-process run. The inproc loop is the whole trick of the virtual clock: run every
// ready actor until nothing is left, then fire the earliest pending timer (moving the
// clock to it), and repeat. Hours of on-sale pass in seconds and in the same order on
// every machine.

#include "simulation/run.hpp"

#include <unistd.h>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <cstdio>
#include <memory>

#include "simulation/driver.hpp"
#include "simulation/virtual_time.hpp"

namespace concert::sim {

namespace {

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point t0, steady::time_point t1 = steady::now()) {
  return std::chrono::duration<double>(t1 - t0).count();
}

struct loop_result {
  bool stuck = false;
  bool horizon = false;
};

loop_result drive_virtual(caf::actor_system& sys, driver_context& ctx, const sim_options& o,
                          const progress_fn& progress, caf::actor& driver) {
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  sched.run();  // the system's actors start
  driver = spawn_driver(sys, ctx);
  const auto horizon = sched.clock().current_time + std::chrono::seconds(o.horizon_seconds);
  const uint64_t n = ctx.fans.size();
  loop_result r;
  for (uint64_t steps = 1;; ++steps) {
    sched.run();
    if (ctx.finished == n) break;
    if (!sched.has_pending_timeout()) {
      r.stuck = true;
      break;
    }
    if (next_timer(sched) > horizon) {
      r.horizon = true;
      break;
    }
    // Fault seam (docs/simulation.md, "Faults"): a crash-and-restart would go here,
    // between two timers: stop_system, open_persistent_system on the same directory
    // (writer not detached), ctx.sys = the new handles.
    fire_next(sched);
    if (progress && steps % 4096 == 0)
      progress(ctx.finished, n, static_cast<double>(ctx.last_activity) / 1e6);
  }
  ctx.stop = true;
  // Let every hold end (and any payment in flight time out), so the final state shows
  // whether the deadlines were kept.
  run_until(sched,
            sched.clock().current_time +
                std::chrono::seconds(o.system.hold_seconds + o.system.pay_timeout_seconds + 1));
  request_collect(driver);
  const auto give_up = sched.clock().current_time + std::chrono::hours(1);
  sched.run();
  while (!ctx.collected && sched.has_pending_timeout() && next_timer(sched) <= give_up)
    fire_next(sched);
  return r;
}

loop_result drive_live(caf::actor_system& sys, driver_context& ctx, const sim_options& o,
                       const progress_fn& progress, caf::actor& driver) {
  caf::scoped_actor self{sys};
  ctx.listener = caf::actor_cast<caf::actor>(self);
  driver = spawn_driver(sys, ctx);
  const auto t0 = steady::now();
  const uint64_t n = ctx.fans.size();
  loop_result r;
  bool done = false;
  while (!done) {
    self->receive(
        [&](sim_done_atom) { done = true; },
        caf::after(std::chrono::milliseconds(250)) >>
            [&] {
              if (progress) progress(ctx.finished, n, seconds_since(t0));
              if (!ctx.stop && seconds_since(t0) > static_cast<double>(o.horizon_seconds)) {
                r.horizon = true;
                ctx.stop = true;
                request_collect(driver);
              }
            });
  }
  return r;
}

points max_price_of(const catalog_data& c) {
  points m = 0;
  for (const auto& s : c.schedules)
    for (auto p : s.prices) m = std::max(m, p);
  return m;
}

nlohmann::json stats_json(const gate_stats& g) {
  return {{"waiting", g.waiting},
          {"active", g.active},
          {"issuedTotal", g.issued_total},
          {"admittedTotal", g.admitted_total},
          {"droppedIdleTotal", g.dropped_idle_total},
          {"expiredActiveTotal", g.expired_active_total},
          {"endedTotal", g.ended_total}};
}

nlohmann::json stats_json(const seat_stats& s) {
  return {{"available", s.available},
          {"held", s.held},
          {"sold", s.sold},
          {"holdsPlacedTotal", s.holds_placed_total},
          {"holdsExpiredTotal", s.holds_expired_total}};
}

void fill_report(const sim_options& o, driver_context& ctx, const loop_result& lr, double wall,
                 run_report& r) {
  const uint64_t n = ctx.fans.size();
  r.mode = to_string(o.mode);
  r.seed = o.seed;
  r.users = n;
  r.unfinished = n - ctx.finished;
  ctx.fs.exclusive = true;
  r.invariants = check_invariants(ctx.rec, ctx.fs);
  auto flag = [&](std::string s) {
    ++r.invariants.total;
    r.invariants.ok = false;
    r.invariants.violations.push_back(std::move(s));
  };
  if (lr.stuck)
    flag(std::to_string(r.unfinished) + " fans never got an answer: the system went quiet");
  if (!ctx.collected) flag("the final state could not be read back");
  if (ctx.collect_failures > 0)
    flag(std::to_string(ctx.collect_failures) + " final-state requests failed");
  if (lr.horizon)
    r.notes.push_back("stopped at the horizon with " + std::to_string(r.unfinished) +
                      " fans still on their way");
  summarize(ctx.rec, r);
  r.simulated_seconds = static_cast<double>(ctx.last_activity) / 1e6;
  r.wall_seconds = wall;
  r.ops_per_second = wall > 0 ? static_cast<double>(ctx.rec.counts().operations) / wall : 0;
  r.gate = stats_json(ctx.gate);
  r.seats = stats_json(ctx.seats);
  r.knobs = knobs_to_json(o);
}

}  // namespace

catalog_data catalog_for(const workload_config& w) {
  if (w.demo_catalog) return demo_catalog();
  const uint64_t seats = std::max<uint64_t>(1, (w.users * w.seats_per_1000 + 999) / 1000);
  const uint64_t per_schedule = std::min<uint64_t>(w.seats_per_schedule, seats);
  const uint64_t schedules = (seats + per_schedule - 1) / per_schedule;
  // Whole concerts of equal size, as few schedules over the target as that allows.
  const uint64_t concerts = (schedules + w.schedules_per_concert - 1) / w.schedules_per_concert;
  const uint64_t per_concert = (schedules + concerts - 1) / concerts;
  return synthetic_catalog(static_cast<uint32_t>(concerts), static_cast<uint32_t>(per_concert),
                           static_cast<uint32_t>(per_schedule));
}

run_report run_in_process(const sim_options& o, const progress_fn& progress) {
  const bool inproc = o.mode == run_mode::inproc;
  const catalog_data cat = catalog_for(o.workload);
  sim_caf_config cfg{inproc, o.threads};
  caf::actor_system sys{cfg};
  const system_handles handles =
      spawn_system(sys, to_settings(o, inproc ? onsale_epoch_us : 0), cat);

  auto ctx = std::make_unique<driver_context>();
  ctx->sys = handles;
  ctx->rules = rules_from(o.workload);
  ctx->rules.epoch_at_start = handles.clock.epoch_at_start;
  if (!inproc) ctx->rules.poll_cap = poll_ms_for(o) * 1000;
  ctx->plans = make_plans(o.workload, o.seed, max_price_of(cat));
  ctx->fans.reserve(ctx->plans.size());
  for (const auto& p : ctx->plans) ctx->fans.emplace_back(p, ctx->rules);
  for (const auto& s : cat.schedules) ctx->schedules.push_back(s.id);
  ctx->live = !inproc;
  if (!inproc && o.request_timeout_ms > 0)
    ctx->timeout = caf::duration{std::chrono::milliseconds(o.request_timeout_ms)};
  ctx->time_scale = o.time_scale;
  ctx->concurrency = inproc ? 0 : o.concurrency;
  ctx->sample_period = seconds_us(o.sample_seconds);
  ctx->jitter = o.jitter_ms * 1000;
  ctx->jitter_seed = o.seed ^ 0x6a69747465720000ULL;  // "jitter": its own stream

  run_report r;
  if (!ctx->rec.open_trace(o.trace)) r.notes.push_back("cannot write the trace to " + o.trace);
  const auto t0 = steady::now();
  caf::actor driver;
  const loop_result lr = inproc ? drive_virtual(sys, *ctx, o, progress, driver)
                                : drive_live(sys, *ctx, o, progress, driver);
  const auto t1 =
      ctx->finished == ctx->fans.size() && !inproc ? ctx->fans_done_wall : steady::now();
  ctx->rec.close_trace();
  fill_report(o, *ctx, lr, seconds_since(t0, t1), r);
  if (progress) progress(ctx->finished, ctx->fans.size(), r.simulated_seconds);

  stop_system(handles);
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  if (inproc) dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler()).run();
  return r;
}

progress_fn stderr_progress(const std::string& setting) {
  if (setting == "off" || (setting == "auto" && isatty(STDERR_FILENO) == 0)) return {};
  return [last = steady::time_point{}](uint64_t done, uint64_t total, double t) mutable {
    const auto now = steady::now();
    if (done < total && now - last < std::chrono::milliseconds(100)) return;
    last = now;
    const int width = 30;
    const int fill = total == 0 ? width : static_cast<int>(done * width / total);
    std::fprintf(stderr, "\r[%.*s%*s] %3d%% %llu/%llu fans, t=%.0fs", fill,
                 "##############################", width - fill, "",
                 total == 0 ? 100 : static_cast<int>(done * 100 / total),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), t);
    if (done >= total) std::fputc('\n', stderr);
    std::fflush(stderr);
  };
}

}  // namespace concert::sim
