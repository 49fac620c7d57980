// Capacity planning: several inproc runs that differ in one knob (say admit-per-second
// = 1, 2, 5, 10), summarised as a CSV table and a self-contained HTML page with inline
// SVG charts: queue length and sales over time per run, and p50/p95 wait against the
// knob. Rendering is plain string building, so it is tested without running anything.
#pragma once

#include <string>
#include <vector>

#include "simulation/options.hpp"
#include "simulation/report.hpp"

namespace concert::sim {

/// "knob=v1,v2,..." -> knob and values; false with a message when malformed.
bool parse_sweep(const std::string& spec, std::string& knob, std::vector<std::string>& values,
                 std::string& err);

/// One row per run: the knob's value and the run's key figures.
std::string sweep_csv(const std::string& knob, const std::vector<std::string>& values,
                      const std::vector<run_report>& runs);

/// The HTML page (no external resources).
std::string sweep_html(const std::string& knob, const std::vector<std::string>& values,
                       const std::vector<run_report>& runs, const sim_options& base);

/// Runs the sweep `o.sweep` and writes o.html and o.csv. Returns the exit status (1 when
/// any run broke an invariant, 2 on bad input or I/O).
int run_sweep_cli(const sim_options& o);

}  // namespace concert::sim
