// The result of one run: counts, invariant verdict, digest, timing and queue figures, as
// the JSON report of docs/simulation.md (field names fixed there) and as a short text
// summary for the terminal. Percentiles are nearest-rank over integer samples.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "simulation/invariants.hpp"
#include "simulation/recorder.hpp"

namespace concert::sim {

/// Nearest-rank percentile (per_mille of 1000) of unsorted samples; 0 when empty.
template <class T>
T percentile(std::vector<T> v, unsigned per_mille);

struct run_report {
  std::string mode = "inproc";
  uint64_t seed = 0;
  uint64_t users = 0;
  run_counts counts;
  invariant_result invariants;
  std::string digest;
  double simulated_seconds = 0;
  double wall_seconds = 0;
  double ops_per_second = 0;
  double latency_ms[4] = {0, 0, 0, 0};  ///< p50, p95, p99, max
  double wait_seconds[3] = {0, 0, 0};   ///< p50, p95, max
  uint64_t max_queue_length = 0;
  uint64_t unfinished = 0;  ///< fans still on their way when the run stopped
  nlohmann::json gate;      ///< the gate's own figures
  nlohmann::json seats;     ///< the seat figures
  nlohmann::json knobs;     ///< the effective knobs
  std::vector<series_point> series;
  std::vector<std::string> notes;  ///< e.g. the run hit its horizon
};

/// Fills the timing-independent parts from the recorder and the invariant result.
void summarize(const recorder& rec, run_report& r);
nlohmann::json to_json(const run_report& r);
/// A few lines for stdout.
std::string summary_text(const run_report& r);
/// Writes the JSON report; false on an I/O error.
bool write_report(const run_report& r, const std::string& path);

}  // namespace concert::sim
