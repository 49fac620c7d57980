// A timing wheel for the fans' think times: O(1) to queue a fan, O(1) per fan to take
// the due ones, in due order and, for the same tick, in the order they were queued.
// Times are rounded up to the resolution (1 ms by default), so many fans share one
// timer tick; fans due beyond the wheel's span wait in an ordered overflow. Plain C++.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "actors/types.hpp"

namespace concert::sim {

class wake_wheel {
 public:
  /// `slots` must be a power of two; the wheel spans slots * resolution.
  explicit wake_wheel(time_us resolution = 1000, uint32_t slots = 1u << 16);

  /// Queues `fan` for `due` (rounded up to the resolution; never before the ticks
  /// already taken).
  void push(time_us due, uint32_t fan);
  /// `due` rounded up to the resolution: when a fan pushed for `due` is handed back.
  time_us rounded(time_us due) const {
    return due <= 0 ? 0 : (due + resolution_ - 1) / resolution_ * resolution_;
  }
  /// The (rounded) time of the earliest queued fan, if any.
  std::optional<time_us> next() const;
  /// Appends every fan due at or before `now` to `out`, earliest first.
  void pop_due(time_us now, std::vector<uint32_t>& out);
  uint64_t size() const { return in_slots_ + overflow_.size(); }

 private:
  uint32_t slot_of(int64_t tick) const { return static_cast<uint32_t>(tick) & mask_; }
  /// First occupied tick in [cursor_, cursor_ + span), if any.
  std::optional<int64_t> first_occupied() const;
  void migrate();  ///< overflow entries that came within the span move to their slots
  void set_bit(uint32_t s) { bits_[s >> 6] |= uint64_t{1} << (s & 63); }
  void clear_bit(uint32_t s) { bits_[s >> 6] &= ~(uint64_t{1} << (s & 63)); }

  time_us resolution_;
  uint32_t mask_;
  int64_t span_;
  int64_t cursor_ = 0;  ///< the first tick not taken yet
  std::vector<std::vector<uint32_t>> slots_;
  std::vector<uint64_t> bits_;  ///< occupied slots
  uint64_t in_slots_ = 0;
  std::multimap<int64_t, uint32_t> overflow_;  ///< tick -> fan, equal ticks in push order
};

}  // namespace concert::sim
