// One user's wallet as plain C++: points balance and ledger, the user's reservations,
// idempotency keys, and the wallet's side of the two-phase payment (begin, keyed debit,
// void, finish). It knows nothing of actors, the catalog or the clock: callers pass `now`
// and carry the steps between. Also the archive seam that passivated wallets go to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/types.hpp"

namespace concert {

/// The final result of a payment attempt, as remembered under an idempotency key.
struct pay_outcome {
  code result = code::ok;
  payment paid;  ///< filled when `result` is created (or ok, for a debit)
};

/// What the caller of `wallet::begin_pay` must do next.
enum class pay_step : uint8_t {
  reply,  ///< answer with `outcome` now; nothing was started
  wait,   ///< a payment with the same key is running: answer with its result later
  lock,   ///< the payment started: lock the seat, then `debit`, then sell
};

struct pay_plan {
  pay_step step = pay_step::reply;
  pay_outcome outcome;  ///< only for pay_step::reply
};

/// One user's points and reservations. Invariants, checked after every change (and on
/// decode): balance >= 0, and charged total == balance + spent total.
class wallet {
 public:
  /// Idempotency keys remembered per user; the oldest is forgotten beyond this, so a
  /// client cannot grow a wallet without bound by inventing keys.
  static constexpr size_t max_keys = 1024;

  explicit wallet(user_id user = 0) : user_(user) {}

  user_id user() const { return user_; }
  points balance() const { return balance_; }
  points charged_total() const { return charged_total_; }
  points spent_total() const { return spent_total_; }
  /// True when there is nothing worth archiving (never charged, never held).
  bool empty() const;

  /// Adds points. invalid_amount for amount <= 0 or a balance that would pass
  /// `max_balance` (checked without overflow for any amount); ok otherwise.
  code charge(points amount, time_us now, points max_balance);
  /// Ledger entries, newest first.
  std::vector<history_entry> history() const;

  /// Records a hold the catalog granted to this user (status HELD).
  void add_reservation(const reservation& r);
  /// Holds that count against the limit: unpaid and now < expires_at.
  uint32_t live_holds(time_us now) const;
  /// The reservation as of `now`: HELD, CONFIRMED, or EXPIRED once now >= expires_at
  /// and unpaid. A payment in progress shows as HELD (the seat's expiry is suspended).
  std::optional<reservation> view(reservation_id rid, time_us now) const;

  /// Decides a pay request: reply (unknown, same key seen, not payable, expired), wait
  /// (same key running), or lock (marks the reservation as paying).
  pay_plan begin_pay(reservation_id rid, const std::string& key, time_us now);
  /// Debit keyed by reservation id: ok with the payment; the same id again returns the
  /// first payment and changes nothing. insufficient_points (nothing changes) or
  /// reservation_not_found. A balance exactly equal to the price pays.
  pay_outcome debit(reservation_id rid, time_us now);
  /// Reverses a debit whose sale was refused (a PAYMENT entry with the negative amount).
  /// Does nothing when the reservation has no debit.
  void void_debit(reservation_id rid, time_us now);
  /// Ends a running payment with a business outcome and remembers it under `key`.
  void finish_pay(reservation_id rid, const std::string& key, const pay_outcome& out);
  /// Ends a running payment after an infrastructure error: nothing is remembered, so
  /// the same key may be tried again.
  void abort_pay(reservation_id rid, const std::string& key);
  /// True while a payment of this reservation is between begin_pay and finish/abort.
  bool paying(reservation_id rid) const;
  /// Payments running now.
  size_t payments_in_flight() const { return paying_count_; }
  /// True when the reservation carries a debit (paid, or debited while the sale runs).
  bool debited(reservation_id rid) const;
  /// The price of one of this user's reservations (0 for an unknown id).
  points price_of(reservation_id rid) const;

  /// Recovery of an open payment intent whose sale happened (or is completed now): the
  /// debit stays, and `key` (when not empty and not yet known) remembers the payment,
  /// so a retry with it gets the first result. Does nothing without a debit.
  void complete_recovered(reservation_id rid, const std::string& key);

  /// Counts changes to the encoded state (every charge, recorded hold, debit, void and
  /// remembered key). The owner persists the wallet whenever it moved; not encoded.
  uint64_t revision() const { return revision_; }

  /// The whole wallet (without running payments) as a versioned byte string.
  std::string encode() const;
  /// The wallet encoded by `encode`, or nullopt for anything else (any input is safe).
  static std::optional<wallet> decode(std::string_view bytes);

 private:
  struct held {
    reservation_id id = 0;
    schedule_id schedule = 0;
    seat_no seat = 0;
    points price = 0;
    time_us expires_at = 0;
    bool paid = false;
    points balance_after = 0;  ///< of the debit, when paid
    time_us paid_at = 0;
    bool paying = false;  ///< transient: not encoded
  };

  payment payment_of(const held& h) const;
  void remember(const std::string& key, const pay_outcome& out);
  void check() const;

  user_id user_ = 0;
  points balance_ = 0;
  points charged_total_ = 0;
  points spent_total_ = 0;
  std::vector<history_entry> history_;  ///< oldest first
  std::map<reservation_id, held> reservations_;
  std::map<std::string, pay_outcome> keys_;
  /// Oldest first, for the max_keys bound. A vector, not a deque: an empty deque
  /// allocates a 512-byte node, and every activated wallet has one.
  std::vector<std::string> key_order_;
  std::map<std::string, reservation_id> keys_in_flight_;  ///< keys of running payments
  size_t paying_count_ = 0;
  uint64_t revision_ = 0;
};

/// What an archive read found.
struct archive_read {
  std::optional<std::string> bytes;  ///< the encoded wallet; nullopt when none was saved
  std::string error;                 ///< not empty: the read itself failed (bytes unset)
};

/// Where inactive wallets rest: memory (tests, simulations) or the store (the store
/// archive in persistence.hpp). Callers only see load and save of encoded wallets.
class wallet_archive {
 public:
  virtual ~wallet_archive() = default;
  /// The encoded wallet of `user`, nothing when none was saved, or a read error.
  virtual archive_read load(user_id user) = 0;
  /// Replaces the encoded wallet of `user`.
  virtual void save(user_id user, std::string bytes) = 0;
};

/// The archive kept in memory (tests, and until the store exists).
class memory_wallet_archive final : public wallet_archive {
 public:
  archive_read load(user_id user) override;
  void save(user_id user, std::string bytes) override;
  /// Users with a saved wallet.
  size_t size() const { return saved_.size(); }

 private:
  std::map<user_id, std::string> saved_;
};

}  // namespace concert
