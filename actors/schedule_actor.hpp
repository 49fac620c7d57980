// The schedule actor: one per performance. It owns (and is linked to) the seat-block actors
// of its seats, keeps their live available counts (pushed by the blocks, so schedule
// listings cost no fan-out), routes holds by seat number and payment steps by reservation
// id to the owning block, and gathers seat listings in seat order. No seat rules here.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <vector>

#include "actors/catalog.hpp"
#include "actors/clock.hpp"
#include "actors/messages.hpp"
#include "actors/seat_block.hpp"
#include "storage/store_actor.hpp"

namespace concert {

using schedule_actor = caf::typed_actor<
    /// Id, concert, start and seat counts (available as last reported by the blocks).
    caf::replies_to<info_atom>::with<schedule_info>,
    /// Seats in seat order: all (flag set) or only AVAILABLE ones; ok.
    caf::replies_to<seats_atom, bool>::with<code, std::vector<seat_info>>,
    /// Hold a seat (delegated to its block). seat_not_found outside this schedule.
    caf::replies_to<hold_atom, user_id, seat_no>::with<code, reservation>,
    /// Payment steps, delegated to the block named by the reservation id;
    /// reservation_not_found for an id of no block of this schedule.
    caf::replies_to<lock_atom, user_id, reservation_id>::with<code>,
    caf::replies_to<sell_atom, user_id, reservation_id>::with<code>,
    caf::replies_to<unlock_atom, user_id, reservation_id>::with<code>,
    /// Counters summed over this schedule's blocks.
    caf::replies_to<stats_atom>::with<seat_stats>,
    /// A block's available count changed: (block index, count).
    caf::reacts_to<avail_atom, uint32_t, uint32_t>>;

/// Spawns the schedule `def` (its prices are ignored: `blocks` own the seats) with one
/// linked block actor per element of `blocks`. REQUIRES (else std::invalid_argument):
/// blocks not empty, in seat order, contiguous from seat 1, consecutive block ids, all of
/// schedule def.id. With a `writer`, the blocks persist their seats through it.
schedule_actor spawn_schedule(caf::actor_system& sys, const schedule_def& def,
                              std::vector<seat_block> blocks, time_base tb,
                              store_actor writer = {});

}  // namespace concert
