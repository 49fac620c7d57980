// The inside of the wallet service: the per-user wallet actor's interface, the
// registry's full interface (public protocol plus the passivation handshake and
// figures), and a spawn function that takes the archive. Callers outside actors/ and
// tests should only need wallet_actor.hpp.
#pragma once

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <memory>
#include <string>

#include "actors/wallet.hpp"
#include "actors/wallet_actor.hpp"
#include "storage/store_actor.hpp"

namespace concert {

/// A wallet's own timer: ask the seat again whether an in-doubt sale happened.
using retry_atom = caf::atom_constant<caf::atom("retry")>;

/// A stopping wallet's last word to the registry: its user and encoded state.
using stopped_atom = caf::atom_constant<caf::atom("stopped")>;

/// One user's wallet actor: the public protocol plus the registry's stop (once no
/// operation is in flight the wallet sends `stopped` with its encoded state, empty when
/// there is nothing to keep, and quits), the registry's idle check (the wallet
/// asks to be passivated when it has been idle long enough and nothing is in flight),
/// the retry of a sale whose answer was lost (timeout or error after the debit), and its
/// step watchdog (expire: the steps asked of the catalog or gate past their deadline fail).
using user_wallet_actor =
    wallet_actor::extend<caf::reacts_to<stop_atom>, caf::reacts_to<idle_atom>,
                         caf::reacts_to<retry_atom, reservation_id>, caf::reacts_to<expire_atom>>;

/// Test-only crash points in the payment protocol: the wallet stops working on the
/// payment right there (answering the caller with an error and writing nothing more),
/// as if the process died, so tests can check what recovery makes of the store.
enum class payment_crash_point : uint8_t {
  none,
  after_debit,  ///< the debit and its intent are durable; the seat is not sold
  after_sale,   ///< the seat's sale is durable; the intent is still open
};

/// How wallets persist: every change of a wallet (charge, recorded hold, debit, void,
/// remembered key) is written through `writer` before the reply that shows it, and a
/// debit carries its payment intent in the same batch. No writer: in memory.
struct wallet_persistence {
  store_actor writer;
  payment_crash_point crash_at = payment_crash_point::none;
};

/// Figures of the registry, for metrics and tests.
struct wallet_stats {
  uint64_t live = 0;              ///< wallet actors alive now (including stopping ones)
  uint64_t activated_total = 0;   ///< wallet actors spawned
  uint64_t passivated_total = 0;  ///< wallet actors stopped and archived
  uint64_t parked_total = 0;      ///< requests that waited for a stopping wallet
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wallet_stats& x) {
  return f(caf::meta::type_name("wallet_stats"), x.live, x.activated_total, x.passivated_total,
           x.parked_total);
}

/// The registry: routes by user id. One idle sweep for all wallets (its own timer, every
/// idle_timeout / 4 while any wallet is live) sends the idle check to each wallet not
/// routed to for idle_timeout (a timer per wallet cost a clock-thread wake-up per
/// activation), so an idle wallet goes between idle_timeout and idle_timeout * 5/4 after
/// its last activity. An idle wallet asks to be passivated and reports itself stopped;
/// the sender must be the user's current wallet. Both are one-way: a sweep can stop
/// thousands of wallets at once, and CAF 0.17 keeps pending requests in a flat vector.
using wallet_registry_actor =
    wallet_actor::extend<caf::reacts_to<passiv_atom, user_id>, caf::reacts_to<idle_atom>,
                         caf::reacts_to<stopped_atom, user_id, std::string>,
                         caf::replies_to<stats_atom>::with<wallet_stats>>;

/// Spawns the registry over the given archive (spawn_wallets uses a memory archive).
/// The archive is used only from the registry actor. With `persist.writer` the archive
/// must read what the writer wrote (the store archive): wallets then write themselves.
wallet_registry_actor spawn_wallet_registry(caf::actor_system& sys, wallet_config cfg,
                                            catalog_actor catalog, gate_actor gate, time_base tb,
                                            std::shared_ptr<wallet_archive> archive,
                                            wallet_persistence persist = {});

}  // namespace concert
