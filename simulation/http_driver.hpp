// The HTTP mode: plays the same fan journeys against a running concertd over keep-alive
// HTTP/1.1 connections (Boost.Beast), with exactly the routes of the HTTP contract, and
// runs the same invariant checks through the public API. Open model: fans arrive on the
// wall clock at the workload's pace whether or not the server keeps up, so saturation
// shows as latency.
#pragma once

#include "simulation/options.hpp"
#include "simulation/report.hpp"
#include "simulation/run.hpp"

namespace concert::sim {

/// One run against `o.target`.
run_report run_http(const sim_options& o, const progress_fn& progress = {});

}  // namespace concert::sim
