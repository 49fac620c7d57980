// Builds the whole actor system from one config, on CAF's real scheduler or on its
// deterministic test scheduler (virtual clock), from the same code. The server, the
// simulation and the tests all start here.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <memory>

#include "actors/catalog_actor.hpp"
#include "actors/gate_actor.hpp"
#include "actors/wallet_actor.hpp"

namespace concert {

struct system_settings {
  gate_config gate;
  seats_config seats;
  wallet_config wallets;
  uint64_t seed = 0;          ///< 0: drawn from the OS (production); else reproducible
  time_us epoch_at_start = 0; ///< 0: the wall clock; else the virtual start time
};

struct system_handles {
  gate_actor gate;
  catalog_actor catalog;
  wallet_actor wallets;
  time_base clock;
};

/// CAF settings for `threads` workers (0: the CPUs this process may run on), or the
/// deterministic test scheduler when `deterministic`.
void configure_caf(caf::actor_system_config& cfg, bool deterministic, unsigned threads = 0);

/// The number of CPUs this process may run on (sched_getaffinity), at least 1.
unsigned usable_cpus();

/// Spawns gate, catalog (with schedules and seat blocks) and wallet registry.
/// The token key is derived from the seed when one is given, else drawn from the OS.
system_handles spawn_system(caf::actor_system& sys, const system_settings& s,
                            const catalog_data& catalog);

/// Sends every long-lived actor an exit, so the actor system can shut down at once.
void stop_system(const system_handles& h);

}  // namespace concert
