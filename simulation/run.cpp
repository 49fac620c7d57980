// One in-process run. The inproc loop is the whole trick of the virtual clock: run every
// ready actor until nothing is left, then fire the earliest pending timer (moving the
// clock to it), and repeat. Hours of on-sale pass in seconds and in the same order on
// every machine.

#include "simulation/run.hpp"

#include <unistd.h>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "actors/rng.hpp"
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
  uint32_t restarts = 0;
  std::string restart_error;  ///< why a restart failed (the run stopped there)
};

/// Where a persistent run keeps its store; a temporary directory goes when this does.
class store_dir {
 public:
  store_dir() = default;
  explicit store_dir(const std::string& wanted) {
    namespace fs = std::filesystem;
    if (!wanted.empty()) {
      if (fs::exists(wanted) && !fs::is_empty(wanted))
        throw std::runtime_error("--data-dir " + wanted +
                                 " is not empty: a run needs a fresh store (its invariants "
                                 "assume nothing was sold before)");
      path_ = wanted;
      return;
    }
    std::string tmpl = (fs::temp_directory_path() / "concert-sim-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary data directory");
    path_ = tmpl;
    temporary_ = true;
  }
  ~store_dir() {
    std::error_code ec;
    if (temporary_) std::filesystem::remove_all(path_, ec);
  }
  store_dir(const store_dir&) = delete;
  store_dir& operator=(const store_dir&) = delete;
  const std::string& path() const { return path_; }
  bool used() const { return !path_.empty(); }

 private:
  std::string path_;
  bool temporary_ = false;
};

/// The system of a run: in memory, or over the store in `dir` (recovering what it holds).
/// The writer runs as an ordinary actor on the deterministic scheduler, so its flushes
/// happen at reproducible points; writes are not fsynced (a simulated crash is a process
/// crash, not a power cut: the OS keeps what RocksDB wrote).
result<system_handles> open_sim_system(caf::actor_system& sys, const sim_options& o,
                                       time_us epoch_now, const catalog_data& cat,
                                       const store_dir& dir) {
  const system_settings settings = to_settings(o, epoch_now);
  if (!dir.used()) return spawn_system(sys, settings, cat);
  persistent_options p;
  p.data_dir = dir.path();
  p.initial_catalog = cat;
  p.writer.mode = commit_mode::group;
  p.writer.sync = false;
  p.writer.detached = false;
  return open_persistent_system(sys, settings, p);
}

/// One crash: when (µs after the on-sale moment) and how many single messages run after
/// the timer that reaches that moment, so the crash falls amid requests in flight.
struct crash_point {
  time_us at = 0;
  uint32_t steps = 0;
};

std::vector<crash_point> plan_crashes(const sim_options& o) {
  rng r{o.seed ^ 0x726573746172740aULL};  // "restart": its own stream
  std::vector<crash_point> v(o.restarts);
  for (auto& c : v) {
    c.at = 1 + static_cast<time_us>(
                   r.below(static_cast<uint64_t>(seconds_us(o.restart_window_seconds))));
    c.steps = static_cast<uint32_t>(r.below(4));  // a fan step is a handful of messages
  }
  std::sort(v.begin(), v.end(),
            [](const crash_point& a, const crash_point& b) { return a.at < b.at; });
  return v;
}

/// Everything one inproc run needs to crash and restart its system.
struct restart_kit {
  const sim_options* o = nullptr;
  const catalog_data* cat = nullptr;
  const store_dir* dir = nullptr;
  std::vector<crash_point> crashes;
  size_t next = 0;
};

/// Kills every actor of the system at once, as a dying process would (an exit overtakes
/// whatever waits in a mailbox, unflushed writes included), reopens the store, recovers,
/// and points the driver at the new actors. The time base stays: the new one maps the
/// same clock to the same epoch.
bool crash_and_restart(caf::actor_system& sys, caf::scheduler::test_coordinator& sched,
                       driver_context& ctx, restart_kit& kit, const caf::actor& driver,
                       loop_result& r) {
  {
    system_handles old = ctx.sys;
    const time_base clock = ctx.sys.clock;
    ctx.sys = system_handles{};
    ctx.sys.clock = clock;
    for (const caf::actor& a :
         {caf::actor_cast<caf::actor>(old.wallets), caf::actor_cast<caf::actor>(old.catalog),
          caf::actor_cast<caf::actor>(old.gate), caf::actor_cast<caf::actor>(old.persist.writer)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  sched.run();  // the old actors die; the store closes with the last of them
  const time_us epoch_now = ctx.sys.clock.now(sys.clock());
  auto h = open_sim_system(sys, *kit.o, epoch_now, *kit.cat, *kit.dir);
  if (!h.ok()) {
    r.restart_error =
        "restart " + std::to_string(r.restarts + 1) + " failed: " + h.error().to_string();
    return false;
  }
  const time_base clock = ctx.sys.clock;
  ctx.sys = std::move(h.value());
  ctx.sys.clock = clock;
  ++r.restarts;
  sched.run();
  notify_crash(driver);
  sched.run();
  return true;
}

/// Fires the next timer, crashing the system first when a planned crash is due by it.
/// False when a restart failed.
bool step(caf::actor_system& sys, caf::scheduler::test_coordinator& sched, driver_context& ctx,
          restart_kit& kit, const caf::actor& driver, loop_result& r) {
  if (kit.next < kit.crashes.size()) {
    const crash_point& c = kit.crashes[kit.next];
    const auto at = ctx.sys.clock.to_clock(ctx.sys.clock.epoch_at_start + c.at);
    if (next_timer(sched) >= at) {
      ++kit.next;
      sched.trigger_timeout();
      sched.run(c.steps);
      return crash_and_restart(sys, sched, ctx, kit, driver, r);
    }
  }
  fire_next(sched);
  return true;
}

loop_result drive_virtual(caf::actor_system& sys, driver_context& ctx, restart_kit& kit,
                          const progress_fn& progress, caf::actor& driver) {
  const sim_options& o = *kit.o;
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
    if (!step(sys, sched, ctx, kit, driver, r)) break;
    if (progress && steps % 4096 == 0)
      progress(ctx.finished, n, static_cast<double>(ctx.last_activity) / 1e6);
  }
  ctx.stop = true;
  if (!r.restart_error.empty()) return r;  // no system left to read back
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

/// Live mode's driver actors. One driver would handle every reply of the run, and CAF
/// 0.17 finds a reply's handler by a linear search over the actor's pending requests (and
/// erases it by shifting the rest): with 1,000 fans in flight that search and shift were
/// a fifth of the CPU. 64 drivers keep about 16 fans each and let both workers drive;
/// never more drivers than fans in flight (each needs at least one).
uint32_t live_drivers(const sim_options& o, size_t fans) {
  uint64_t d = o.drivers > 0 ? o.drivers : 64;
  if (o.concurrency > 0) d = std::min<uint64_t>(d, o.concurrency);
  return static_cast<uint32_t>(std::max<uint64_t>(1, std::min<uint64_t>(d, fans)));
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
  if (!lr.restart_error.empty()) flag(lr.restart_error);
  if (o.restarts > 0)
    r.notes.push_back("the system crashed and recovered from its store " +
                      std::to_string(lr.restarts) + " times");
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
  const store_dir dir =
      inproc && (o.restarts > 0 || !o.data_dir.empty()) ? store_dir{o.data_dir} : store_dir{};
  // Live default: one worker. On 2 cores two workers were slower (115-127k against
  // 169-172k ops/s, docs/simulation.md): fine-grained messages between them wake the
  // other side each time, while one worker leaves the second core to CAF's clock
  // thread and the main thread.
  sim_caf_config cfg{inproc, o.threads > 0 ? o.threads : 1u};
  caf::actor_system sys{cfg};
  auto opened = open_sim_system(sys, o, inproc ? onsale_epoch_us : 0, cat, dir);
  if (!opened.ok())
    throw std::runtime_error("cannot open the store: " + opened.error().to_string());

  auto ctx = std::make_unique<driver_context>();
  ctx->sys = std::move(opened.value());  // the only copy: a restart must close the store
  ctx->rules = rules_from(o.workload);
  ctx->rules.epoch_at_start = ctx->sys.clock.epoch_at_start;
  ctx->rules.retries = o.retries;
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
  ctx->drivers = inproc ? 1 : live_drivers(o, ctx->fans.size());
  ctx->sample_period = seconds_us(o.sample_seconds);
  ctx->jitter = o.jitter_ms * 1000;
  ctx->jitter_seed = o.seed ^ 0x6a69747465720000ULL;  // "jitter": its own stream

  run_report r;
  if (!ctx->rec.open_trace(o.trace)) r.notes.push_back("cannot write the trace to " + o.trace);
  restart_kit kit{&o, &cat, &dir, inproc ? plan_crashes(o) : std::vector<crash_point>{}, 0};
  const auto t0 = steady::now();
  caf::actor driver;
  const loop_result lr = inproc ? drive_virtual(sys, *ctx, kit, progress, driver)
                                : drive_live(sys, *ctx, o, progress, driver);
  const auto t1 =
      ctx->finished == ctx->fans.size() && !inproc ? ctx->fans_done_wall : steady::now();
  ctx->rec.close_trace();
  fill_report(o, *ctx, lr, seconds_since(t0, t1), r);
  if (progress) progress(ctx->finished, ctx->fans.size(), r.simulated_seconds);

  if (ctx->sys.gate) stop_system(ctx->sys);
  ctx->sys = system_handles{};
  for (const auto& d : ctx->shards) caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
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
