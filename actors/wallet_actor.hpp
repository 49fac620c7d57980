// Wallets: one actor per user, activated on first use and passivated when idle, behind
// one registry that routes by user id. A user's wallet owns everything of that user:
// points ledger and history, reservations, the live-hold limit, idempotency keys, and
// it coordinates the user's payments as a two-phase transfer with the seat block
// (lock seat -> debit keyed by reservation id -> sell seat -> end the token).
// The plain ledger is wallet.hpp.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>
#include <vector>

#include "actors/catalog_actor.hpp"
#include "actors/clock.hpp"
#include "actors/gate_actor.hpp"
#include "actors/messages.hpp"

namespace concert {

/// What the edge and the simulation talk to (the registry implements it).
using wallet_actor = caf::typed_actor<
    /// Add points. ok with the new balance; invalid_amount for amount <= 0 or a balance
    /// that would pass the maximum.
    caf::replies_to<charge_atom, user_id, points>::with<code, points>,
    /// Balance (0 for a user never seen).
    caf::replies_to<balance_atom, user_id>::with<points>,
    /// Ledger entries, newest first.
    caf::replies_to<history_atom, user_id>::with<std::vector<history_entry>>,
    /// Hold a seat for this user (limit: max holds per user). `created` with the
    /// reservation; hold_limit_reached, or the catalog's hold errors.
    caf::replies_to<hold_atom, user_id, schedule_id, seat_no>::with<code, reservation>,
    /// One of this user's reservations, status as of now. reservation_not_found.
    caf::replies_to<resv_atom, user_id, reservation_id>::with<code, reservation>,
    /// Pay a reservation (idempotency key may be empty). `created` with the payment;
    /// the same key again gives the first result (same code). insufficient_points,
    /// reservation_expired, reservation_not_payable, reservation_not_found.
    caf::replies_to<pay_atom, user_id, reservation_id, std::string>::with<code, payment>>;

struct wallet_config {
  points max_balance = 100'000'000;
  uint32_t max_holds_per_user = 4;
  /// A wallet idle this long is passivated (within a quarter more; <= 0: never).
  time_us idle_timeout = seconds_us(60);
};

wallet_actor spawn_wallets(caf::actor_system& sys, wallet_config cfg, catalog_actor catalog,
                           gate_actor gate, time_base tb);

}  // namespace concert
