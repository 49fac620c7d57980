// The seat rules of seat_block.hpp. Every public operation first settles the seat it
// touches at `now` (lazy, exact expiry); timers in the actor only trigger the same settling
// earlier than the next operation would. Counters follow the settled states, and a lapse is
// counted in exactly one place (lapse()), so it is counted once however it is noticed.
#include "actors/seat_block.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

namespace concert {

namespace {

/// Stays on in release builds: a broken block must stop, not sell a seat twice.
void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "seat_block: %s\n", what);
    std::abort();
  }
}

}  // namespace

seat_block::seat_block(seat_block_params params, const std::vector<points>& prices)
    : params_(params) {
  require(params_.block_id >= 1, "block id must be >= 1");
  require(!prices.empty(), "a block needs seats");
  require(params_.first_seat >= 1, "seat numbers start at 1");
  seats_.reserve(prices.size());
  for (size_t i = 0; i < prices.size(); ++i) {
    require(prices[i] > 0, "prices must be positive");
    seat_record s;
    s.seat = params_.first_seat + static_cast<seat_no>(i);
    s.price = prices[i];
    seats_.push_back(s);
  }
  rebuild_counts();
}

seat_block::seat_block(seat_block_snapshot snapshot)
    : params_(snapshot.params),
      seats_(std::move(snapshot.seats)),
      next_sequence_(snapshot.next_sequence),
      holds_placed_(snapshot.holds_placed),
      holds_expired_(snapshot.holds_expired) {
  require(params_.block_id >= 1 && !seats_.empty(), "bad snapshot");
  for (uint32_t i = 0; i < seats_.size(); ++i) {
    require(seats_[i].seat == params_.first_seat + i, "snapshot seats not contiguous");
    if (seats_[i].rid != 0) index_.emplace(seats_[i].rid, i);
  }
  rebuild_counts();
  check_counts();
}

hold_outcome seat_block::hold(user_id user, seat_no seat, time_us now) {
  if (!contains(seat)) return {code::seat_not_found, {}};
  auto& s = seats_[seat - first_seat()];
  settle(s, now);
  if (s.status != seat_status::available) return {code::seat_unavailable, {}};
  if (next_sequence_ == std::numeric_limits<uint32_t>::max()) return {code::unavailable, {}};
  if (s.rid != 0) index_.erase(s.rid);  // the lapsed reservation is forgotten here
  s.status = seat_status::held;
  s.owner = user;
  s.rid = make_reservation_id(params_.block_id, next_sequence_++);
  s.deadline = now + params_.hold_time;
  s.pay_deadline = 0;
  index_.emplace(s.rid, seat - first_seat());
  --available_;
  ++held_;
  ++holds_placed_;
  check_counts();
  reservation r{s.rid,     user, params_.schedule, s.seat, s.price, reservation_status::held,
                s.deadline};
  return {code::created, r};
}

code seat_block::lock(user_id user, reservation_id rid, time_us now) {
  code why = code::ok;
  auto* s = find(user, rid, now, why);
  if (s == nullptr) return why;
  switch (s->status) {
    case seat_status::held:
      s->status = seat_status::paying;
      s->pay_deadline = now + params_.pay_timeout;
      return code::ok;
    case seat_status::available:
      return code::reservation_expired;
    case seat_status::paying:
    case seat_status::sold:
      return code::reservation_not_payable;
  }
  return code::reservation_not_payable;
}

code seat_block::sell(user_id user, reservation_id rid, time_us now) {
  code why = code::ok;
  auto* s = find(user, rid, now, why);
  if (s == nullptr) return why;
  switch (s->status) {
    case seat_status::paying:
      s->status = seat_status::sold;
      s->pay_deadline = 0;
      --held_;
      ++sold_;
      check_counts();
      return code::ok;
    case seat_status::sold:
      return code::ok;  // this very reservation bought it: a retry changes nothing
    case seat_status::available:
      return code::reservation_expired;
    case seat_status::held:
      return code::reservation_not_payable;
  }
  return code::reservation_not_payable;
}

code seat_block::unlock(user_id user, reservation_id rid, time_us now) {
  code why = code::ok;
  auto* s = find(user, rid, now, why);
  if (s == nullptr) return why == code::reservation_expired ? code::ok : why;
  if (s->status == seat_status::sold) return code::reservation_not_payable;
  if (s->status == seat_status::paying) {
    // Back to HELD with the deadline it had: a refused payment never extends a hold.
    s->status = seat_status::held;
    s->pay_deadline = 0;
    settle(*s, now);
  }
  return code::ok;
}

std::optional<time_us> seat_block::next_change() const {
  std::optional<time_us> next;
  for (const auto& s : seats_) {
    time_us at;
    if (s.status == seat_status::paying)
      at = s.pay_deadline;  // the hold's deadline waits while paying
    else if (s.status == seat_status::held)
      at = s.deadline;
    else
      continue;
    if (!next || at < *next) next = at;
  }
  return next;
}

std::vector<seat_info> seat_block::list(time_us now, bool all) {
  settle_all(now);
  std::vector<seat_info> out;
  out.reserve(all ? seats_.size() : available_);
  for (const auto& s : seats_)
    if (all || s.status == seat_status::available) out.push_back({s.seat, s.price, s.status});
  return out;
}

seat_stats seat_block::stats(time_us now) {
  settle_all(now);
  return {available_, held_, sold_, holds_placed_, holds_expired_};
}

std::optional<seat_no> seat_block::seat_of(reservation_id rid) const {
  auto it = index_.find(rid);
  if (it == index_.end()) return std::nullopt;
  return seats_[it->second].seat;
}

seat_block_snapshot seat_block::snapshot() const {
  return {params_, next_sequence_, holds_placed_, holds_expired_, seats_};
}

seat_record* seat_block::find(user_id user, reservation_id rid, time_us now, code& why) {
  why = code::reservation_not_found;
  auto n = sequence_of(rid);
  if (block_of(rid) != params_.block_id || n == 0 || n >= next_sequence_) return nullptr;
  auto it = index_.find(rid);
  if (it == index_.end()) {
    // Issued here but no seat remembers it: it lapsed and the seat was held again. The
    // owner is forgotten, so any caller learns only that it expired.
    why = code::reservation_expired;
    return nullptr;
  }
  auto& s = seats_[it->second];
  if (s.owner != user) return nullptr;
  settle(s, now);
  return &s;
}

void seat_block::settle(seat_record& s, time_us now) {
  if (s.status == seat_status::paying && now >= s.pay_deadline) {
    s.status = seat_status::held;  // the lock timed out: original deadline rules again
    s.pay_deadline = 0;
  }
  if (s.status == seat_status::held && now >= s.deadline) lapse(s);
}

void seat_block::settle_all(time_us now) {
  for (auto& s : seats_) settle(s, now);
}

void seat_block::lapse(seat_record& s) {
  require(s.status == seat_status::held, "only a held seat lapses");
  s.status = seat_status::available;
  --held_;
  ++available_;
  ++holds_expired_;
  check_counts();
}

void seat_block::rebuild_counts() {
  available_ = held_ = sold_ = 0;
  for (const auto& s : seats_) {
    if (s.status == seat_status::available) ++available_;
    if (s.status == seat_status::held || s.status == seat_status::paying) ++held_;
    if (s.status == seat_status::sold) ++sold_;
  }
}

void seat_block::check_counts() const {
  require(available_ + held_ + sold_ == seats_.size(), "seat counts do not add up");
  // Every hold placed is still held, was sold, or expired: nothing else ends a hold.
  require(holds_expired_ + held_ + sold_ == holds_placed_, "hold counters do not add up");
}

seat_block_snapshot with_records(seat_block_snapshot fresh,
                                 const std::vector<seat_record>& records) {
  auto first = fresh.params.first_seat;
  for (const auto& r : records) {
    if (r.seat < first || r.seat - first >= fresh.seats.size()) continue;
    auto& s = fresh.seats[r.seat - first];
    auto price = s.price;
    s = r;
    s.price = price;
  }
  uint32_t max_sequence = 0;
  fresh.holds_placed = 0;
  fresh.holds_expired = 0;
  for (const auto& s : fresh.seats) {
    if (s.rid == 0) continue;
    max_sequence = std::max(max_sequence, sequence_of(s.rid));
    ++fresh.holds_placed;
    if (s.status == seat_status::available) ++fresh.holds_expired;
  }
  // The last id stays spent: at the maximum the block issues no more (hold says so).
  auto after =
      max_sequence == std::numeric_limits<uint32_t>::max() ? max_sequence : max_sequence + 1;
  fresh.next_sequence = std::max(fresh.next_sequence, after);
  return fresh;
}

std::vector<seat_block> split_into_blocks(schedule_id schedule, const std::vector<points>& prices,
                                          uint32_t first_block_id, uint32_t seats_per_block,
                                          time_us hold_time, time_us pay_timeout) {
  require(seats_per_block >= 1, "seats_per_block must be >= 1");
  std::vector<seat_block> blocks;
  for (size_t first = 0; first < prices.size(); first += seats_per_block) {
    auto last = std::min(prices.size(), first + seats_per_block);
    seat_block_params p{first_block_id + static_cast<uint32_t>(blocks.size()), schedule,
                        static_cast<seat_no>(first + 1), hold_time, pay_timeout};
    blocks.emplace_back(p, std::vector<points>(prices.begin() + first, prices.begin() + last));
  }
  return blocks;
}

}  // namespace concert
