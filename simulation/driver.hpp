// The actor driver: event-based actors that play the fans against an actor system in
// this process (one actor in inproc mode; in live mode the fans are split over several,
// so no single mailbox or response table serialises the run). They execute the fans'
// actions with request(...).then(...), wait their think times, emulate the HTTP edge's
// token guard (a check at the gate before every guarded request), sample the line, and
// at the end read the system's final state back for the invariant checks. The same code
// runs on the deterministic test scheduler (inproc) and on the real one (live); it never
// blocks.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/duration.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

#include "actors/runtime.hpp"
#include "simulation/invariants.hpp"
#include "simulation/journey.hpp"
#include "simulation/recorder.hpp"
#include "simulation/workload.hpp"

namespace concert::sim {

/// What the driver sends `driver_context::listener` once the final state is read back.
using sim_done_atom = caf::atom_constant<caf::atom("simdone")>;

/// Inputs and results of one driver, owned by the caller. Between spawn and the
/// `collected` flag (or the done message) only the driver touches it.
struct driver_context {
  // --- inputs ---
  system_handles sys;
  journey_rules rules;
  std::vector<fan_plan> plans;
  std::vector<schedule_id> schedules;  ///< every schedule, for the final seat listing
  bool live = false;                   ///< real clock: scale think times, measure latency
  caf::duration timeout = caf::infinite;
  double time_scale = 0;     ///< live: real seconds per simulated think second
  uint32_t concurrency = 0;  ///< live: fans in flight (closed model); 0 = all by arrival
  /// Driver actors; fan f belongs to driver f % drivers. Must be 1 in inproc mode (one
  /// actor keeps the trace reproducible) and at most `concurrency` when that is set.
  uint32_t drivers = 1;
  /// Fault injection: every request leaves up to this much later (uniform, from the
  /// driver's own seeded stream), so requests of different fans arrive reordered, as
  /// over a network with jitter. 0 = off.
  time_us jitter = 0;
  uint64_t jitter_seed = 0;
  time_us sample_period = seconds_us(10);
  caf::actor listener;  ///< gets done_atom after collection (live mode)
  // --- results ---
  recorder rec{true};  ///< with several drivers: only under `rec_lock`, unordered channel
  std::mutex rec_lock;
  std::atomic<uint64_t> stamp{0};  ///< the last send/receive stamp handed out (all drivers)
  std::vector<caf::actor> shards;  ///< every driver actor, the lead first
  std::vector<fan_journey> fans;
  std::atomic<uint64_t> finished{0};
  std::atomic<bool> stop{false};       ///< set by the runner: schedule nothing new
  std::atomic<bool> collected{false};  ///< final state read back
  final_state fs;
  gate_stats gate;
  seat_stats seats;
  time_us last_activity = 0;                               ///< run time of the last fan step
  std::chrono::steady_clock::time_point fans_done_wall{};  ///< when the last fan ended
  uint64_t collect_failures = 0;  ///< final-state requests that got no answer
};

/// Tells the driver to read the final state back (after the fans are done or stopped).
void request_collect(const caf::actor& driver);

/// Tells the driver the system crashed and `driver_context::sys` now names the
/// restarted one: every request still unanswered fails (its fan retries).
void notify_crash(const caf::actor& driver);

/// Spawns `ctx.drivers` driver actors (listed in `ctx.shards`); they start the fans at
/// once. Returns the lead, which samples, collects and answers request_collect.
caf::actor spawn_driver(caf::actor_system& sys, driver_context& ctx);

}  // namespace concert::sim
