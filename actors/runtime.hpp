// Builds the whole actor system from one config, on CAF's real scheduler or on its
// deterministic test scheduler (virtual clock), from the same code. The server, the
// simulation and the tests all start here. A system keeps its state in memory, or, with
// a store (open_persistent_system), recovers it on start and acknowledges nothing that
// is not durable (docs/persistence.md).
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/catalog_actor.hpp"
#include "actors/gate_actor.hpp"
#include "actors/persistence.hpp"
#include "actors/wallet_actor.hpp"
#include "actors/wallet_registry.hpp"

namespace concert {

struct system_settings {
  gate_config gate;
  seats_config seats;
  wallet_config wallets;
  uint64_t seed = 0;           ///< 0: drawn from the OS (production); else reproducible
  time_us epoch_at_start = 0;  ///< 0: the wall clock; else the virtual start time
  /// Empty: everything lives in memory. Set: spawn_system recovers from `persist.db`
  /// and every actor writes through `persist.writer` (open_persistent_system sets it).
  persistence persist;
  /// Tests only: where a payment stops as if the process died (wallet_registry.hpp).
  payment_crash_point crash_point = payment_crash_point::none;
};

struct system_handles {
  gate_actor gate;
  catalog_actor catalog;
  wallet_actor wallets;
  time_base clock;
  persistence persist;        ///< empty in memory
  recovery_report recovered;  ///< what recovery found and settled (persistent only)
};

/// CAF settings for `threads` workers (0: the CPUs this process may run on), or the
/// deterministic test scheduler when `deterministic`.
void configure_caf(caf::actor_system_config& cfg, bool deterministic, unsigned threads = 0);

/// The number of CPUs this process may run on (sched_getaffinity), at least 1.
unsigned usable_cpus();

/// Spawns gate, catalog (with schedules and seat blocks) and wallet registry.
/// In memory: the token key is derived from the seed when one is given, else drawn from
/// the OS. With `s.persist`: state is recovered from the store first (`catalog` is
/// written only into a store that has none; a stored catalog wins) and the token key
/// is the stored one; throws std::runtime_error when recovery fails.
system_handles spawn_system(caf::actor_system& sys, const system_settings& s,
                            const catalog_data& catalog);

/// How to open a persistent system.
struct persistent_options {
  std::string data_dir;
  /// Written into a store that holds no catalog yet; without it such a store is refused.
  std::optional<catalog_data> initial_catalog;
  store_actor_config writer;  ///< commit mode, sync, detached writer thread
  store_options store_tuning;
  /// Test seam: the writer writes through what this makes of the store (for example a
  /// kv_store that fails on demand); unset: straight into the store.
  std::function<std::shared_ptr<kv_store>(std::shared_ptr<store>)> wrap_writes;
};

/// Opens (or creates) the store in `o.data_dir`, recovers everything (catalog, seats,
/// intents, queue) and spawns the system over it; ready when this returns. Errors, with
/// a message for humans: locked (another process has the directory), newer_schema,
/// corrupt (damaged, not ours, or a stored value that does not decode), invalid (an
/// empty store without an initial catalog, or another seats_per_block than it was made
/// with), io. Stop with stop_system, which flushes the writer last.
result<system_handles> open_persistent_system(caf::actor_system& sys, system_settings s,
                                              const persistent_options& o);

/// Sends every long-lived actor an exit, so the actor system can shut down at once.
/// With a store, the writer goes last: it first acknowledges a barrier behind every
/// write already sent, so nothing in flight is dropped, then exits.
void stop_system(const system_handles& h);

}  // namespace concert
