// One contiguous range of seats of one schedule, and the rules for holding, paying for and
// selling them. Plain C++ with no CAF include: seat_block_actor is the shell that owns one
// and adds clean-up timers. Time is always a parameter, so expiry is exact (every operation
// compares `now` with the deadline itself) and tests pick any instant they like.
// Not here: the per-user live-hold limit (the wallet sees all of a user's holds) and
// persistence encoding (snapshot() / the snapshot constructor give the plain state).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "actors/types.hpp"

namespace concert {

// ---- reservation ids ----
// A reservation id names the block that issued it: rid = (block_id << 32) | n, where
// block_id >= 1 and n counts 1, 2, ... per block. Ids are therefore unique across the whole
// system, and the catalog routes lock/sell/unlock by `rid >> 32` without a lookup table.
// Block ids are assigned in catalog order (schedules in order, blocks in seat order), so the
// same catalog and seats_per_block give the same ids after a restart.

/// The id of the n-th reservation (n >= 1) issued by block `block` (>= 1).
constexpr reservation_id make_reservation_id(uint32_t block, uint32_t n) {
  return (static_cast<reservation_id>(block) << 32) | n;
}
/// The block that issued `rid` (0 for no block: not an id we issue).
constexpr uint32_t block_of(reservation_id rid) { return static_cast<uint32_t>(rid >> 32); }
/// The per-block sequence number of `rid` (0 for no reservation).
constexpr uint32_t sequence_of(reservation_id rid) { return static_cast<uint32_t>(rid); }

/// Fixed facts about a block.
struct seat_block_params {
  uint32_t block_id = 1;     ///< >= 1; the high half of every reservation id it issues
  schedule_id schedule = 0;  ///< the schedule the seats belong to
  seat_no first_seat = 1;    ///< seat number of prices[0]
  time_us hold_time = seconds_us(300);
  time_us pay_timeout = seconds_us(30);  ///< how long a lock may suspend expiry
};

/// The stored state of one seat: all a restore needs. `status` is the state as last
/// settled; a HELD seat whose deadline passed is AVAILABLE for every operation even before
/// it is settled. `owner`, `rid` and `deadline` stay after a lapse, so a late payment for
/// that reservation is told reservation_expired rather than reservation_not_found.
struct seat_record {
  seat_no seat = 0;
  points price = 0;
  seat_status status = seat_status::available;
  user_id owner = 0;         ///< holder of `rid`
  reservation_id rid = 0;    ///< current (or last lapsed / sold) reservation; 0: none yet
  time_us deadline = 0;      ///< hold deadline of `rid`; never extended
  time_us pay_deadline = 0;  ///< while PAYING: lock time + pay timeout; else 0
};

/// Everything a block is: its facts, its seats and its counters.
struct seat_block_snapshot {
  seat_block_params params;
  uint32_t next_sequence = 1;  ///< n of the next reservation id
  uint64_t holds_placed = 0;
  uint64_t holds_expired = 0;
  std::vector<seat_record> seats;  ///< in seat order, contiguous from params.first_seat
};

/// Result of a hold: `created` with the reservation, or why not (reservation is empty).
struct hold_outcome {
  code result = code::ok;
  reservation resv;
};

/// The seats of one block. Lifecycle of a seat:
///   AVAILABLE -hold-> HELD -lock-> PAYING -sell-> SOLD
///   HELD -(now >= deadline)-> AVAILABLE                  (a lapse: counted as expired once)
///   PAYING -unlock-> HELD with the original deadline, or AVAILABLE when it passed
///   PAYING -(now >= lock time + pay timeout)-> same as unlock
/// Not thread-safe: one owner (the block actor) calls it.
class seat_block {
 public:
  /// A fresh block; prices[i] is the price of seat first_seat + i. REQUIRES: block_id >= 1,
  /// prices not empty and all positive.
  seat_block(seat_block_params params, const std::vector<points>& prices);
  /// A block restored from snapshot() output.
  explicit seat_block(seat_block_snapshot snapshot);

  /// Holds `seat` for `user` until now + hold_time. `created` with the reservation;
  /// seat_not_found outside this block; seat_unavailable when held, paying or sold
  /// (a lapsed hold counts as available); unavailable when this block ran out of ids.
  hold_outcome hold(user_id user, seat_no seat, time_us now);
  /// Payment phase 1, HELD -> PAYING. ok; reservation_not_found for an id this block did
  /// not issue or another user's; reservation_expired when now >= deadline;
  /// reservation_not_payable when already paying or sold.
  code lock(user_id user, reservation_id rid, time_us now);
  /// Payment phase 2, PAYING -> SOLD. ok (also when this reservation is already sold: a
  /// retry after the debit); reservation_not_payable when not locked; reservation_expired
  /// when it lapsed; reservation_not_found as for lock.
  code sell(user_id user, reservation_id rid, time_us now);
  /// Payment refused, PAYING -> HELD with the original deadline (AVAILABLE when it passed).
  /// ok whenever the reservation is not sold afterwards, including a hold that was never
  /// locked or has lapsed; reservation_not_payable when sold; reservation_not_found as for lock.
  code unlock(user_id user, reservation_id rid, time_us now);
  /// The earliest instant at which time alone changes a seat (a HELD seat's deadline, a
  /// PAYING seat's pay timeout), or nullopt when none would: the block actor keeps one
  /// clean-up timer, for this instant, instead of one per hold.
  std::optional<time_us> next_change() const;
  /// The timer's clean-up: applies to every seat what `now` makes due.
  void settle_due(time_us now) { settle_all(now); }

  /// Seats ordered by seat number: every seat when `all`, else only the AVAILABLE ones.
  /// Settles lapsed holds first, so the statuses are exact at `now`.
  std::vector<seat_info> list(time_us now, bool all);
  /// Counters exact at `now` (settles every seat first).
  seat_stats stats(time_us now);

  /// AVAILABLE seats as last settled (cheap; may still count a lapsed hold as held
  /// until an operation or its timer settles it).
  uint32_t available() const { return available_; }
  uint32_t size() const { return static_cast<uint32_t>(seats_.size()); }
  seat_no first_seat() const { return params_.first_seat; }
  seat_no last_seat() const { return params_.first_seat + size() - 1; }
  bool contains(seat_no seat) const { return seat >= first_seat() && seat <= last_seat(); }
  const seat_block_params& params() const { return params_; }
  /// The stored state of one seat. REQUIRES: contains(seat).
  const seat_record& record(seat_no seat) const { return seats_[seat - first_seat()]; }
  /// The seat that carries `rid` now (held, paying, sold, or lapsed but not held again),
  /// or nullopt. Its record is what a change to that reservation must persist.
  std::optional<seat_no> seat_of(reservation_id rid) const;

  /// The whole state, for persistence.
  seat_block_snapshot snapshot() const;

 private:
  /// The seat holding `rid` for `user`, or the code telling why there is none
  /// (reservation_not_found or reservation_expired). Settles the seat first.
  seat_record* find(user_id user, reservation_id rid, time_us now, code& why);
  /// Applies every transition that `now` makes due to one seat.
  void settle(seat_record& s, time_us now);
  void settle_all(time_us now);
  /// A hold lapsed: HELD -> AVAILABLE, counted once.
  void lapse(seat_record& s);
  void rebuild_counts();
  void check_counts() const;

  seat_block_params params_;
  std::vector<seat_record> seats_;
  std::map<reservation_id, uint32_t> index_;  ///< rid -> seat index, for seats with rid != 0
  uint32_t next_sequence_ = 1;
  uint32_t available_ = 0;
  uint32_t held_ = 0;  ///< HELD or PAYING, as last settled
  uint32_t sold_ = 0;
  uint64_t holds_placed_ = 0;
  uint64_t holds_expired_ = 0;
};

/// A block rebuilt from stored seat records: `fresh` (a new block's snapshot) gives the
/// seats and prices, and each record replaces the seat with its number (keeping the
/// catalog price). The id counter continues after the highest stored sequence, so no
/// reservation id is issued twice; hold counters restart from what the records show
/// (every seat with a reservation was placed, an AVAILABLE one with an id expired).
/// Records outside the block are ignored (the caller checks the layout).
seat_block_snapshot with_records(seat_block_snapshot fresh,
                                 const std::vector<seat_record>& records);

/// Splits the seats of one schedule (prices[i] is seat i + 1) into blocks of at most
/// `seats_per_block` seats in seat order, with ids first_block_id, first_block_id + 1, ...
/// REQUIRES: seats_per_block >= 1, first_block_id >= 1.
std::vector<seat_block> split_into_blocks(schedule_id schedule, const std::vector<points>& prices,
                                          uint32_t first_block_id, uint32_t seats_per_block,
                                          time_us hold_time, time_us pay_timeout);

}  // namespace concert
