// The command line and the workload file. `for_each_knob` is the single list of knobs:
// the CLI, the JSON reader, the JSON writer and the sweep all walk it.

#include "simulation/options.hpp"

#include <CLI/CLI.hpp>

#include <fstream>
#include <type_traits>

namespace concert::sim {

std::string to_string(run_mode m) {
  switch (m) {
    case run_mode::inproc:
      return "inproc";
    case run_mode::live:
      return "live";
    case run_mode::http:
      return "http";
  }
  return "inproc";
}

namespace {

template <class F>
void for_each_knob(sim_options& o, F&& f) {
  auto& w = o.workload;
  auto& s = o.system;
  f("seed", o.seed, "seed of every random draw; same flags + seed = same run");
  f("users", w.users, "fans in the crowd");
  f("arrival", o.arrival_name, "arrival pattern: onsale | poisson | ramp");
  f("onsale-spread-ms", w.onsale_spread_ms, "onsale: arrivals spread over this window");
  f("arrival-rate", w.arrival_rate, "poisson: fans per second");
  f("ramp-seconds", w.ramp_seconds, "ramp: every fan arrives within this window");
  f("think-ms", w.think_ms, "mean think time between steps (exponential)");
  f("abandon-share", w.abandon_share, "share of fans who give up while waiting");
  f("patience-seconds", w.patience_seconds, "mean patience of those fans");
  f("abandon-leave-share", w.abandon_leave_share, "share of abandoners who leave explicitly");
  f("never-pay-share", w.never_pay_share, "share of fans who hold and never pay");
  f("lacks-points-share", w.lacks_points_share, "share of fans refused for points first");
  f("duplicate-pay-share", w.duplicate_pay_share, "share of fans who send a payment twice");
  f("seat-preference", o.preference_name, "best (front seats first) | any");
  f("best-window", w.best_window, "best: choose among the first this many seats");
  f("max-seats", w.max_seats, "most seats one fan wants");
  f("multi-seat-share", w.multi_seat_share, "share of fans wanting 2..max-seats seats");
  f("max-visits", w.max_visits, "times a fan queues for seats still wanted");
  f("browse-limit", w.browse_limit, "schedule and seat listings per visit");
  f("conflict-limit", w.conflict_limit, "hold conflicts before refreshing the listing");
  f("refresh-limit", w.refresh_limit, "seat-listing refreshes per visit");
  f("demo-catalog", w.demo_catalog, "sell the demo catalog instead of a synthetic one");
  f("seats-per-1000", w.seats_per_1000, "synthetic catalog: seats per 1,000 fans");
  f("seats-per-schedule", w.seats_per_schedule, "synthetic catalog: seats per schedule");
  f("schedules-per-concert", w.schedules_per_concert, "synthetic catalog");
  f("max-active", s.max_active, "system: users inside at once (0 = no cap)");
  f("admit-per-second", s.admit_per_second, "system: admission rate (0 = no rate)");
  f("hold-seconds", s.hold_seconds, "system: how long a hold lasts");
  f("active-ttl-seconds", s.active_ttl_seconds, "system: how long an admitted user may stay");
  f("waiting-idle-seconds", s.waiting_idle_seconds, "system: silent waiters are dropped after");
  f("max-holds-per-user", s.max_holds_per_user, "system: live holds per user");
  f("pay-timeout-seconds", s.pay_timeout_seconds, "system: a stuck payment is undone after");
  f("sample-seconds", o.sample_seconds, "queue and sales sampled this often (simulated)");
  f("horizon-seconds", o.horizon_seconds, "stop after this much simulated time");
  f("jitter-ms", o.jitter_ms, "fault injection: each request leaves up to this much later");
  f("restarts", o.restarts, "inproc fault injection: crash and restart the system N times");
  f("restart-window-seconds", o.restart_window_seconds, "restarts happen within this window");
  f("retries", o.retries, "a request that got no answer is sent again this many times");
  f("time-scale", o.time_scale, "live/http: real seconds per simulated think second");
  f("poll-ms", o.poll_ms, "live/http: longest real wait between polls (-1: 20 live, 500 http)");
  f("user-base", o.user_base, "http: fans are users BASE+1..BASE+N (0: picked from the clock)");
  f("concurrency", o.concurrency, "live: fans in flight; http: connections");
  f("threads", o.threads, "live: CAF worker threads (0: one, the fastest on 2 cores)");
  f("drivers", o.drivers, "live: driver actors the fans are split over (0: auto)");
  f("request-timeout-ms", o.request_timeout_ms, "live/http: a request fails after (0: never)");
}

template <class T>
bool from_text(const std::string& v, T& out) {
  try {
    size_t used = 0;
    if constexpr (std::is_same_v<T, bool>) {
      if (v == "true" || v == "1") return out = true, true;
      if (v == "false" || v == "0") return out = false, true;
      return false;
    } else if constexpr (std::is_same_v<T, std::string>) {
      out = v;
      return true;
    } else if constexpr (std::is_floating_point_v<T>) {
      out = std::stod(v, &used);
    } else if constexpr (std::is_signed_v<T>) {
      out = static_cast<T>(std::stoll(v, &used));
    } else {
      if (!v.empty() && v[0] == '-') return false;
      out = static_cast<T>(std::stoull(v, &used));
    }
    return used == v.size();
  } catch (const std::exception&) {
    return false;
  }
}

/// The value of --workload, read before the CLI so flags can override the file.
std::string workload_path(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--workload" && i + 1 < argc) return argv[i + 1];
    if (a.rfind("--workload=", 0) == 0) return a.substr(11);
  }
  return {};
}

}  // namespace

nlohmann::json knobs_to_json(const sim_options& o) {
  nlohmann::json j = nlohmann::json::object();
  auto& m = const_cast<sim_options&>(o);  // for_each_knob only reads here
  for_each_knob(m, [&](const char* name, auto& v, const char*) { j[name] = v; });
  return j;
}

bool knobs_from_json(const nlohmann::json& j, sim_options& o, std::string& err) {
  if (!j.is_object()) {
    err = "a workload file holds one JSON object";
    return false;
  }
  size_t known = 0;
  for_each_knob(o, [&](const char* name, auto& v, const char*) {
    auto it = j.find(name);
    if (it == j.end() || !err.empty()) return;
    ++known;
    try {
      it->get_to(v);
    } catch (const nlohmann::json::exception&) {
      err = std::string{"workload knob '"} + name + "' has the wrong type";
    }
  });
  if (err.empty() && known != j.size()) err = "the workload file has an unknown knob";
  return err.empty();
}

bool set_knob(sim_options& o, const std::string& name, const std::string& value, std::string& err) {
  bool found = false, ok = false;
  for_each_knob(o, [&](const char* n, auto& v, const char*) {
    if (name != n) return;
    found = true;
    ok = from_text(value, v);
  });
  if (!found)
    err = "unknown knob '" + name + "'";
  else if (!ok)
    err = "bad value '" + value + "' for " + name;
  return found && ok;
}

bool parse_options(int argc, const char* const* argv, sim_options& out, std::string& err,
                   bool& help) {
  help = false;
  const std::string file = workload_path(argc, argv);
  if (!file.empty()) {
    std::ifstream in{file};
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (!in || j.is_discarded()) {
      err = "cannot read workload file " + file;
      return false;
    }
    if (!knobs_from_json(j, out, err)) return false;
  }
  CLI::App app{"concert-sim: replays a crowd of fans through the reservation system"};
  std::string workload_unused;
  app.add_option("--mode", out.mode_name, "inproc (virtual clock) | live | http")
      ->capture_default_str();
  app.add_option("--target", out.target, "http mode: http://127.0.0.1:PORT");
  app.add_option("--report", out.report, "write the JSON report here");
  app.add_option("--trace", out.trace, "write the event trace here");
  app.add_option("--workload", workload_unused, "read knobs from this JSON file");
  app.add_option("--save-workload", out.save_workload, "write the effective knobs here");
  app.add_option("--sweep", out.sweep, "knob=v1,v2,... : several inproc runs, HTML + CSV");
  app.add_option("--scenario", out.scenario, "run this scenario file (see docs/simulation.md)");
  app.add_option("--html", out.html, "sweep: HTML report path")->capture_default_str();
  app.add_option("--csv", out.csv, "sweep: CSV path")->capture_default_str();
  app.add_option("--progress", out.progress, "auto | on | off")->capture_default_str();
  app.add_option("--data-dir", out.data_dir,
                 "inproc: keep the system in a store here (default: memory; a temporary "
                 "directory with --restarts)");
  for_each_knob(out, [&](const char* name, auto& v, const char* what) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, bool>)
      app.add_flag(std::string{"--"} + name, v, what);
    else
      app.add_option(std::string{"--"} + name, v, what)->capture_default_str();
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    help = true;
    err = app.help();
    return false;
  } catch (const CLI::ParseError& e) {
    err = e.what();
    return false;
  }
  return finalize(out, err);
}

bool finalize(sim_options& o, std::string& err) {
  bool known = false;
  for (auto m : {run_mode::inproc, run_mode::live, run_mode::http})
    if (o.mode_name == to_string(m)) {
      o.mode = m;
      known = true;
    }
  if (!known)
    err = "unknown mode '" + o.mode_name + "'";
  else if (!parse(o.arrival_name, o.workload.arrival))
    err = "unknown arrival pattern '" + o.arrival_name + "'";
  else if (!parse(o.preference_name, o.workload.preference))
    err = "unknown seat preference '" + o.preference_name + "'";
  else if (o.mode == run_mode::http && o.target.empty())
    err = "http mode needs --target http://HOST:PORT";
  else if (o.jitter_ms < 0)
    err = "jitter-ms must not be negative";
  else if (o.restarts > 0 && o.mode != run_mode::inproc)
    err = "restarts are for inproc mode";
  else if (o.restart_window_seconds <= 0)
    err = "restart-window-seconds must be positive";
  else if (o.sample_seconds <= 0 || o.horizon_seconds <= 0)
    err = "sample-seconds and horizon-seconds must be positive";
  else if (o.concurrency == 0)
    err = "concurrency must be positive";
  else if (o.progress != "auto" && o.progress != "on" && o.progress != "off")
    err = "progress is auto, on or off";
  else
    err = validate(o.workload);
  return err.empty();
}

int64_t poll_ms_for(const sim_options& o) {
  if (o.poll_ms >= 0) return o.poll_ms;
  return o.mode == run_mode::http ? 500 : 20;
}

system_settings to_settings(const sim_options& o, time_us epoch_at_start) {
  system_settings s;
  s.gate.max_active = o.system.max_active;
  s.gate.admit_per_second = o.system.admit_per_second;
  s.gate.active_ttl = seconds_us(o.system.active_ttl_seconds);
  s.gate.waiting_idle = seconds_us(o.system.waiting_idle_seconds);
  s.gate.log_admissions = true;  // the exact FIFO check reads the gate's admission order
  s.seats.hold_time = seconds_us(o.system.hold_seconds);
  s.seats.pay_timeout = seconds_us(o.system.pay_timeout_seconds);
  s.wallets.max_holds_per_user = o.system.max_holds_per_user;
  s.seed = o.seed == 0 ? 1 : o.seed;
  s.epoch_at_start = epoch_at_start;
  return s;
}

}  // namespace concert::sim
