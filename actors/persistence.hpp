// Recovery: everything a persistent system reads back from its store before it is
// ready (catalog and seat layout, token key, seat states, queue tokens), and the
// resolution of payment intents that were open when the process stopped. Also the
// wallet archive that activates wallets from the store on demand (recovery never loads
// wallets). Writing while running is the actors' business (write_chain.hpp); the key
// layout and the protocol are described in docs/persistence.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/catalog.hpp"
#include "actors/catalog_actor.hpp"
#include "actors/persistent_spawn.hpp"
#include "actors/seat_block.hpp"
#include "actors/wallet.hpp"
#include "storage/store.hpp"
#include "storage/store_actor.hpp"

namespace concert {

/// The optional persistence part of a system: the store (read directly: recovery scans,
/// wallet activation) and the group-commit writer every actor writes through.
struct persistence {
  std::shared_ptr<store> db;
  store_actor writer;
  explicit operator bool() const { return db != nullptr && static_cast<bool>(writer); }
};

/// Wallets in the store's `wallets` family. A wallet writes its own record on every
/// change (before replying), so saving at passivation has nothing left to do.
class store_wallet_archive final : public wallet_archive {
 public:
  explicit store_wallet_archive(std::shared_ptr<const kv_store> db) : db_(std::move(db)) {}
  archive_read load(user_id user) override;
  void save(user_id, std::string) override {}

 private:
  std::shared_ptr<const kv_store> db_;
};

/// The catalog of `db`. A store without one gets `initial` (sorted by id) together with
/// the seat layout, in one synced write; without `initial` such a store is refused
/// (invalid). A stored catalog comes back sorted by id; its layout must equal
/// `seats_per_block` (invalid otherwise: reservation ids name blocks of that layout).
result<catalog_data> load_or_create_catalog(store& db, const std::optional<catalog_data>& initial,
                                            uint32_t seats_per_block);

/// The token-signing key of `db`, or `fresh` written as the key (synced) when there is
/// none yet, so tokens stay valid across restarts.
result<std::array<uint8_t, 32>> load_or_create_token_key(store& db,
                                                         const std::array<uint8_t, 32>& fresh);

/// What recovery found and did.
struct recovery_report {
  uint64_t seat_records = 0;       ///< stored seat states applied
  uint64_t gate_tokens = 0;        ///< queue tokens read back
  uint64_t intents_sold = 0;       ///< intent closed: the seat was already sold to it
  uint64_t intents_completed = 0;  ///< intent closed by completing its sale now
  uint64_t intents_refunded = 0;   ///< intent closed by voiding its debit
  uint64_t intents_dropped = 0;    ///< intent closed: no debit to settle
  uint64_t tokens_ended = 0;       ///< active tokens of payers whose payment was closed
};

/// The live state recovered from a store, ready to spawn actors over.
struct recovered_state {
  std::vector<seat_block> blocks;  ///< in block-id order (see catalog_blocks)
  gate_recovery gate;
  recovery_report report;
};

/// Reads seats, queue tokens and intents back, in that order. Every open payment intent
/// is settled exactly once, all in one synced batch: its seat SOLD to it -> the intent
/// goes; PAYING or HELD for it -> the sale is completed; anything else -> the debit is
/// voided; and a completed payment is remembered under its idempotency key. When the
/// payment stands (sold either way), the payer's ACTIVE token ends in the same batch,
/// as the running system ends it after a sale. A lapsed hold needs nothing: a HELD
/// record past its deadline is available by the normal rule.
/// Errors: a stored value that does not decode or names no seat of the catalog
/// (corrupt), a failed read or write (io).
result<recovered_state> recover_state(store& db, const catalog_data& catalog,
                                      const seats_config& seats, time_us now);

}  // namespace concert
