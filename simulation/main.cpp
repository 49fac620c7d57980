// concert-sim: replays a crowd of fans through the reservation system and checks that
// nothing was lost or sold twice. Exit status: 0 all invariants held, 1 a violation,
// 2 bad usage or I/O. See docs/simulation.md.

#include <fstream>
#include <iostream>

#include "simulation/http_driver.hpp"
#include "simulation/options.hpp"
#include "simulation/run.hpp"
#include "simulation/scenario.hpp"
#include "simulation/sweep.hpp"

using namespace concert::sim;

namespace {

int run_one(const sim_options& o) {
  const progress_fn progress = stderr_progress(o.progress);
  const run_report r =
      o.mode == run_mode::http ? run_http(o, progress) : run_in_process(o, progress);
  std::cout << summary_text(r);
  if (!o.report.empty() && !write_report(r, o.report)) {
    std::cerr << "cannot write the report to " << o.report << "\n";
    return 2;
  }
  return r.invariants.ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  sim_options o;
  std::string err;
  bool help = false;
  if (!parse_options(argc, argv, o, err, help)) {
    (help ? std::cout : std::cerr) << err << "\n";
    return help ? 0 : 2;
  }
  if (!o.save_workload.empty()) {
    std::ofstream out{o.save_workload};
    out << knobs_to_json(o).dump(2) << "\n";
    if (!out) {
      std::cerr << "cannot write " << o.save_workload << "\n";
      return 2;
    }
  }
  if (!o.scenario.empty()) {
    const scenario_result r = run_scenario_file(o.scenario);
    std::cout << r.transcript;
    for (const auto& f : r.failures) std::cout << "FAILED " << f << "\n";
    std::cout << (r.ok ? "scenario ok\n" : "scenario FAILED\n");
    return r.ok ? 0 : 1;
  }
  if (!o.sweep.empty()) return run_sweep_cli(o);
  return run_one(o);
}
