// The catalog: lists concerts and schedules, and routes every seat operation to the
// schedule actor (and from there the seat block) that owns the seat. It is the one
// address other actors need for seats, so blocks can later move to other processes.
// Reservation ids name their block (see seat_block.hpp), so lock/sell/unlock route
// without any lookup table of reservations.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <vector>

#include "actors/catalog.hpp"
#include "actors/clock.hpp"
#include "actors/messages.hpp"

namespace concert {

using catalog_actor = caf::typed_actor<
    caf::replies_to<concerts_atom>::with<std::vector<concert_info>>,
    /// Schedules of a concert with live available-seat counts. concert_not_found.
    caf::replies_to<schedules_atom, concert_id>::with<code, std::vector<schedule_info>>,
    /// Seats of a schedule, ordered by seat number: only reservable ones, or all with
    /// their status when the flag is set. schedule_not_found.
    caf::replies_to<seats_atom, schedule_id, bool>::with<code, std::vector<seat_info>>,
    /// Hold a seat for the hold time. `created` with the reservation (status HELD,
    /// expires_at = now + hold time); schedule_not_found, seat_not_found, seat_unavailable.
    caf::replies_to<hold_atom, user_id, schedule_id, seat_no>::with<code, reservation>,
    /// Payment phase 1: HELD -> PAYING for this reservation and user, checked against the
    /// deadline (now >= expires_at is reservation_expired). Expiry is suspended while
    /// paying. ok, reservation_not_found, reservation_expired, reservation_not_payable.
    caf::replies_to<lock_atom, user_id, reservation_id>::with<code>,
    /// Payment phase 2: PAYING -> SOLD. ok, or reservation_not_payable.
    caf::replies_to<sell_atom, user_id, reservation_id>::with<code>,
    /// Payment refused: PAYING -> HELD with the original deadline (or AVAILABLE when it
    /// passed meanwhile). ok, or reservation_not_payable.
    caf::replies_to<unlock_atom, user_id, reservation_id>::with<code>,
    caf::replies_to<stats_atom>::with<seat_stats>>;

struct seats_config {
  time_us hold_time = seconds_us(300);
  time_us pay_timeout = seconds_us(30);  ///< a PAYING seat falls back to HELD after this
  uint32_t seats_per_block = 64;         ///< seats one block actor owns
};

/// Spawns the catalog with one schedule actor per schedule and its seat blocks.
catalog_actor spawn_catalog(caf::actor_system& sys, const catalog_data& data, seats_config cfg,
                            time_base tb);

}  // namespace concert
