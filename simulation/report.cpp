// Builds and writes the run report.

#include "simulation/report.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace concert::sim {

template <class T>
T percentile(std::vector<T> v, unsigned per_mille) {
  if (v.empty()) return T{};
  size_t rank = (static_cast<size_t>(per_mille) * v.size() + 999) / 1000;  // ceil
  size_t i = rank == 0 ? 0 : rank - 1;
  if (i >= v.size()) i = v.size() - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

template uint32_t percentile(std::vector<uint32_t>, unsigned);
template int64_t percentile(std::vector<int64_t>, unsigned);

void summarize(const recorder& rec, run_report& r) {
  r.counts = rec.counts();
  r.counts.holds_expired = r.invariants.holds_expired;
  r.counts.seats_sold = r.invariants.seats_sold;
  r.digest = rec.digest();
  std::vector<int64_t> waits;
  for (const auto& t : rec.tokens())
    if (t.admitted_at >= 0) waits.push_back(t.admitted_at - t.issued_at);
  r.wait_seconds[0] = percentile(waits, 500) / 1e6;
  r.wait_seconds[1] = percentile(waits, 950) / 1e6;
  r.wait_seconds[2] = percentile(waits, 1000) / 1e6;
  const auto& lat = rec.latencies_us();
  r.latency_ms[0] = percentile(lat, 500) / 1e3;
  r.latency_ms[1] = percentile(lat, 950) / 1e3;
  r.latency_ms[2] = percentile(lat, 990) / 1e3;
  r.latency_ms[3] = percentile(lat, 1000) / 1e3;
  r.series = rec.series();
  for (const auto& p : r.series) r.max_queue_length = std::max(r.max_queue_length, p.waiting);
}

nlohmann::json to_json(const run_report& r) {
  const auto& c = r.counts;
  nlohmann::json j;
  j["mode"] = r.mode;
  j["seed"] = r.seed;
  j["users"] = r.users;
  j["counts"] = {{"tokensIssued", c.tokens_issued},
                 {"admitted", c.admitted},
                 {"holdsPlaced", c.holds_placed},
                 {"holdConflicts", c.hold_conflicts},
                 {"holdsExpired", c.holds_expired},
                 {"paymentsSucceeded", c.payments_succeeded},
                 {"paymentsRejected", c.payments_rejected},
                 {"seatsSold", c.seats_sold},
                 {"pointsCharged", c.points_charged},
                 {"pointsSpent", c.points_spent},
                 {"polls", c.polls},
                 {"leaves", c.leaves},
                 {"duplicatePayments", c.duplicate_payments},
                 {"operations", c.operations},
                 {"traceEvents", c.events},
                 {"failedRequests", c.failures},
                 {"unfinishedFans", r.unfinished}};
  j["endings"] = c.endings;
  j["invariants"] = {{"ok", r.invariants.ok},
                     {"violations", r.invariants.violations},
                     {"violationCount", r.invariants.total}};
  j["digest"] = r.digest;
  j["timing"] = {{"simulatedSeconds", r.simulated_seconds},
                 {"wallSeconds", r.wall_seconds},
                 {"opsPerSecond", r.ops_per_second},
                 {"latencyMs",
                  {{"p50", r.latency_ms[0]},
                   {"p95", r.latency_ms[1]},
                   {"p99", r.latency_ms[2]},
                   {"max", r.latency_ms[3]}}}};
  j["queue"] = {
      {"waitSeconds",
       {{"p50", r.wait_seconds[0]}, {"p95", r.wait_seconds[1]}, {"max", r.wait_seconds[2]}}},
      {"maxLength", r.max_queue_length}};
  if (!r.gate.is_null()) j["gate"] = r.gate;
  if (!r.seats.is_null()) j["seats"] = r.seats;
  if (!r.knobs.is_null()) j["knobs"] = r.knobs;
  nlohmann::json series = nlohmann::json::array();
  for (const auto& p : r.series)
    series.push_back(
        {{"t", p.t / 1'000'000}, {"waiting", p.waiting}, {"active", p.active}, {"sold", p.sold}});
  j["series"] = series;
  j["notes"] = r.notes;
  return j;
}

std::string summary_text(const run_report& r) {
  std::ostringstream o;
  const auto& c = r.counts;
  o << "mode " << r.mode << ", seed " << r.seed << ", " << r.users << " fans: " << c.admitted
    << " admitted, " << c.holds_placed << " holds (" << c.hold_conflicts << " conflicts, "
    << c.holds_expired << " expired), " << c.payments_succeeded << " paid, " << c.seats_sold
    << " seats sold\n";
  o << "simulated " << r.simulated_seconds << " s in " << r.wall_seconds << " s wall, "
    << static_cast<uint64_t>(r.ops_per_second) << " ops/s; wait p50 " << r.wait_seconds[0]
    << " s, p95 " << r.wait_seconds[1] << " s, max queue " << r.max_queue_length << "\n";
  if (r.mode != "inproc")
    o << "latency ms p50 " << r.latency_ms[0] << " p95 " << r.latency_ms[1] << " p99 "
      << r.latency_ms[2] << " max " << r.latency_ms[3] << "\n";
  o << "digest " << r.digest << "\n";
  o << "invariants " << (r.invariants.ok ? "ok" : "VIOLATED") << "\n";
  for (const auto& v : r.invariants.violations) o << "  " << v << "\n";
  for (const auto& n : r.notes) o << "note: " << n << "\n";
  return o.str();
}

bool write_report(const run_report& r, const std::string& path) {
  std::ofstream out{path};
  out << to_json(r).dump(2) << "\n";
  return static_cast<bool>(out);
}

}  // namespace concert::sim
