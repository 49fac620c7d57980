// The seat-block actor: a thin shell that owns one seat_block (seat_block.hpp), reads the
// injected clock for every operation, and keeps one clean-up timer at the block's next hold
// deadline or pay timeout. It tells a listener (its schedule) whenever its available count changes,
// so schedule listings never have to ask every block. The seat rules live in seat_block.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <vector>

#include "actors/clock.hpp"
#include "actors/messages.hpp"
#include "actors/seat_block.hpp"
#include "storage/store_actor.hpp"

namespace concert {

/// Who hears about available-count changes: (block index within its schedule, count).
using seat_count_listener = caf::typed_actor<caf::reacts_to<avail_atom, uint32_t, uint32_t>>;

using seat_block_actor = caf::typed_actor<
    /// Seats of this block in seat order: all (flag set) or only AVAILABLE; always ok.
    caf::replies_to<seats_atom, bool>::with<code, std::vector<seat_info>>,
    /// seat_block::hold; `created` with the reservation (status HELD).
    caf::replies_to<hold_atom, user_id, seat_no>::with<code, reservation>,
    /// seat_block::lock / sell / unlock.
    caf::replies_to<lock_atom, user_id, reservation_id>::with<code>,
    caf::replies_to<sell_atom, user_id, reservation_id>::with<code>,
    caf::replies_to<unlock_atom, user_id, reservation_id>::with<code>,
    /// Counters of this block, exact at now.
    caf::replies_to<stats_atom>::with<seat_stats>,
    /// The block's own clean-up timer, armed for the epoch instant given (the block's
    /// next hold deadline or pay timeout).
    caf::reacts_to<expire_atom, time_us>>;

/// Spawns an actor owning `block` (fresh, or restored from a snapshot). `listener` (may be
/// null) receives (avail, index, count) at start and after every change of the available
/// count. Live holds and locks of a restored block get their clean-up timer again.
/// With a `writer`, every hold and sale writes the changed seat's record; a hold is
/// answered once it is durable, a sale once it is queued (the buyer's wallet answers its
/// client only after its own later write); other requests wait for earlier writes. A lapse writes
/// nothing (it is recomputed from the deadline), nor do lock and unlock (the stored HELD
/// record means the same to recovery, docs/persistence.md). After a failed write every
/// request is answered with the error.
seat_block_actor spawn_seat_block(caf::actor_system& sys, seat_block block,
                                  seat_count_listener listener, uint32_t index, time_base tb,
                                  store_actor writer = {});

}  // namespace concert
