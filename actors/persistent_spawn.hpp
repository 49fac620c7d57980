// Spawn functions for a system that persists: the catalog over seat blocks rebuilt from
// the store, and the gate refilled with its stored tokens, both writing through the
// store writer. Internal to actors/ (runtime and persistence use them); the public
// spawn functions in catalog_actor.hpp and gate_actor.hpp stay the in-memory ones.
#pragma once

#include <caf/actor_system.hpp>

#include <cstdint>
#include <vector>

#include "actors/catalog_actor.hpp"
#include "actors/gate_actor.hpp"
#include "actors/queue_line.hpp"
#include "actors/seat_block.hpp"
#include "storage/store_actor.hpp"

namespace concert {

/// Fresh seat blocks of a whole catalog in block-id order: schedules in the order of
/// `data.schedules`, each split into blocks of cfg.seats_per_block seats, ids from 1.
/// This numbering is baked into reservation ids, so a store keeps the layout it was
/// made with. Throws std::invalid_argument for an invalid catalog or seats_per_block 0.
std::vector<seat_block> catalog_blocks(const catalog_data& data, const seats_config& cfg);

/// The catalog over `blocks` (as catalog_blocks numbers them, possibly restored from
/// stored records); every seat change is written through `writer` before its reply.
catalog_actor spawn_catalog_persistent(caf::actor_system& sys, const catalog_data& data,
                                       std::vector<seat_block> blocks, time_base tb,
                                       store_actor writer);

/// What the gate brings back from the store.
struct gate_recovery {
  std::vector<line_token> tokens;  ///< live tokens as stored (any order)
  uint64_t next_seq = 1;           ///< the stored sequence counter (1 when none)
};

/// The gate refilled with `recovered` at the current time (see queue_line::restore);
/// token changes are written through `writer` before the reply that shows them.
gate_actor spawn_gate_persistent(caf::actor_system& sys, gate_config cfg, time_base tb,
                                 gate_recovery recovered, store_actor writer);

}  // namespace concert
