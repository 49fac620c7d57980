// Runs one simulation in this process: builds the catalog and the crowd, spawns the actor
// system (deterministic scheduler and virtual clock for inproc, the real scheduler for
// live), lets the driver play every fan, reads the final state back, checks the
// invariants and returns the report. The HTTP mode lives in http_driver.hpp.
#pragma once

#include <functional>
#include <string>

#include "actors/catalog.hpp"
#include "simulation/options.hpp"
#include "simulation/report.hpp"

namespace concert::sim {

/// 2026-12-01T10:00:00Z: the virtual on-sale moment of every inproc run.
constexpr time_us onsale_epoch_us = 1'796'119'200'000'000;

/// Called now and then with (fans finished, fans, simulated seconds so far).
using progress_fn = std::function<void(uint64_t, uint64_t, double)>;

/// The catalog the knobs ask for: the demo one, or a synthetic one with about
/// seats-per-1000 seats per 1,000 fans.
catalog_data catalog_for(const workload_config& w);

/// One inproc or live run. `progress` may be empty.
run_report run_in_process(const sim_options& o, const progress_fn& progress = {});

/// A progress bar on stderr when `setting` is "on", or "auto" and stderr is a terminal;
/// an empty function otherwise.
progress_fn stderr_progress(const std::string& setting);

}  // namespace concert::sim
