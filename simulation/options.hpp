// Everything a run of concert-sim is told: the mode, the crowd (workload), the system's
// own knobs passed through, and where the results go. One table of knobs serves the
// command line and the JSON workload file alike, so a file saved with --save-workload
// replays a run exactly (flags given on the command line override the file).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "actors/runtime.hpp"
#include "simulation/workload.hpp"

namespace concert::sim {

enum class run_mode : uint8_t { inproc, live, http };
std::string to_string(run_mode m);

/// The system's knobs, as concertd takes them.
struct system_knobs {
  int64_t max_active = 100;
  double admit_per_second = 0;
  int64_t hold_seconds = 300;
  int64_t active_ttl_seconds = 600;
  int64_t waiting_idle_seconds = 60;
  uint32_t max_holds_per_user = 4;
  int64_t pay_timeout_seconds = 30;
};

struct sim_options {
  run_mode mode = run_mode::inproc;
  std::string mode_name = "inproc";
  std::string target;          ///< http mode: http://host:port
  uint32_t concurrency = 256;  ///< live: fans in flight; http: connections
  uint32_t threads = 0;        ///< live: CAF worker threads (0: one)
  uint32_t drivers = 0;        ///< live: driver actors the fans are split over (0: auto)
  uint64_t seed = 1;
  std::string report;         ///< JSON report path
  std::string trace;          ///< event trace path
  std::string save_workload;  ///< write the effective knobs here
  std::string sweep;          ///< "knob=v1,v2,..." runs several inproc runs
  std::string scenario;       ///< run this scenario file instead of a crowd
  std::string html = "sweep.html";
  std::string csv = "sweep.csv";
  std::string progress = "auto";  ///< auto (a TTY), on, off
  workload_config workload;
  std::string arrival_name = "onsale";
  std::string preference_name = "best";
  system_knobs system;
  int64_t sample_seconds = 10;       ///< queue/sales sampling period (simulated)
  int64_t horizon_seconds = 86'400;  ///< a run stops after this much simulated time
  int64_t jitter_ms = 0;             ///< inproc/live: requests leave up to this much later
  /// inproc fault injection: the whole system crashes and restarts from its store this
  /// many times, at seeded moments within the first `restart_window_seconds`.
  uint32_t restarts = 0;
  int64_t restart_window_seconds = 300;
  uint32_t retries = 5;  ///< a request without answer is sent again this many times
  /// inproc: keep the system in a store here (RocksDB). Empty: in memory, or with
  /// restarts a fresh temporary directory removed after the run.
  std::string data_dir;
  double time_scale = 0;   ///< live/http: real seconds per simulated think second
  int64_t poll_ms = -1;    ///< live/http: longest real wait between polls (-1: 20 live, 500 http)
  uint64_t user_base = 0;  ///< http: fans are users base+1..base+N (0: from the clock)
  /// live/http: a request without reply fails after this; 0 = never (live default: CAF
  /// 0.17 keeps every request's timeout in its clock until it expires, so at 100k+
  /// requests/s a 30 s timeout alone holds millions of entries; the horizon still ends
  /// a run that hangs).
  int64_t request_timeout_ms = 0;
};

/// Parses argv (and a --workload file under it). On false, `err` says why (or holds
/// the help text when `help` is set).
bool parse_options(int argc, const char* const* argv, sim_options& out, std::string& err,
                   bool& help);

/// Checks and converts the named enums; false with a message when something is off.
bool finalize(sim_options& o, std::string& err);

/// The knobs (workload, system, seed and run shape) as JSON with the flag names.
nlohmann::json knobs_to_json(const sim_options& o);
/// Sets every knob present in `j`; false with a message on an unknown name or bad type.
bool knobs_from_json(const nlohmann::json& j, sim_options& o, std::string& err);
/// Sets one knob by flag name from text (the sweep uses it); false when unknown/bad.
bool set_knob(sim_options& o, const std::string& name, const std::string& value, std::string& err);

/// The longest real wait between polls in live and http mode (resolves the -1 default).
int64_t poll_ms_for(const sim_options& o);

/// The actor system's settings for these knobs (seed and epoch included).
system_settings to_settings(const sim_options& o, time_us epoch_at_start);

}  // namespace concert::sim
