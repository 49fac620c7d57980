// Moving CAF's deterministic test scheduler through virtual time: run every ready actor,
// fire the earliest timer (the clock jumps to it), repeat. Shared by the inproc runner
// and the scenario runner; not for the real scheduler.
#pragma once

#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/runtime.hpp"

namespace concert::sim {

/// CAF settings for a simulation: the deterministic scheduler, or real workers.
struct sim_caf_config : caf::actor_system_config {
  explicit sim_caf_config(bool deterministic, unsigned threads = 0) {
    configure_caf(*this, deterministic, threads);
  }
};

inline caf::actor_clock::time_point next_timer(caf::scheduler::test_coordinator& sched) {
  return sched.clock().schedule().begin()->first;
}

/// Fires the earliest pending timer (the clock moves to it unless already later) and
/// runs everything it woke.
inline void fire_next(caf::scheduler::test_coordinator& sched) {
  sched.trigger_timeout();
  sched.run();
}

/// Runs every timer due by `until`, in time order, then sets the clock to `until`.
inline void run_until(caf::scheduler::test_coordinator& sched, caf::actor_clock::time_point until) {
  sched.run();
  while (sched.has_pending_timeout() && next_timer(sched) <= until) fire_next(sched);
  auto& clk = sched.clock();
  if (clk.current_time < until) clk.current_time = until;
  sched.run();
}

}  // namespace concert::sim
