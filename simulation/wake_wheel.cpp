// The timing wheel. Invariant: every slot entry has a tick in [cursor_, cursor_ + span_),
// every overflow entry a tick >= cursor_ + span_ at the time it was pushed; `migrate`
// moves overflow entries into slots as soon as they come within the span, before any
// later push can reach the same slot, so ties keep push order.

#include "simulation/wake_wheel.hpp"

namespace concert::sim {

wake_wheel::wake_wheel(time_us resolution, uint32_t slots)
    : resolution_(resolution > 0 ? resolution : 1),
      mask_(slots - 1),
      span_(slots),
      slots_(slots),
      bits_((slots + 63) / 64, 0) {}

void wake_wheel::push(time_us due, uint32_t fan) {
  int64_t tick = due <= 0 ? 0 : (due + resolution_ - 1) / resolution_;
  if (tick < cursor_) tick = cursor_;
  if (tick >= cursor_ + span_) {
    overflow_.emplace_hint(overflow_.end(), tick, fan);  // after equal keys: push order
    return;
  }
  const uint32_t s = slot_of(tick);
  slots_[s].push_back(fan);
  set_bit(s);
  ++in_slots_;
}

std::optional<int64_t> wake_wheel::first_occupied() const {
  if (in_slots_ == 0) return std::nullopt;
  const uint32_t start = slot_of(cursor_);
  const uint32_t words = static_cast<uint32_t>(bits_.size());
  // Scan whole words from the start slot's word, wrapping once; mask bits before start
  // in the first word (they belong to the end of the span and are seen on the wrap).
  for (uint32_t i = 0; i <= words; ++i) {
    const uint32_t w = ((start >> 6) + i) % words;
    uint64_t bits = bits_[w];
    if (i == 0) bits &= ~uint64_t{0} << (start & 63);
    if (i == words) bits &= (start & 63) == 0 ? 0 : ~(~uint64_t{0} << (start & 63));
    if (bits == 0) continue;
    const uint32_t s = (w << 6) + static_cast<uint32_t>(__builtin_ctzll(bits));
    return cursor_ + ((s - start) & mask_);
  }
  return std::nullopt;
}

std::optional<time_us> wake_wheel::next() const {
  if (auto t = first_occupied()) return *t * resolution_;
  if (!overflow_.empty()) return overflow_.begin()->first * resolution_;
  return std::nullopt;
}

void wake_wheel::migrate() {
  while (!overflow_.empty() && overflow_.begin()->first < cursor_ + span_) {
    const auto [tick, fan] = *overflow_.begin();
    overflow_.erase(overflow_.begin());
    const uint32_t s = slot_of(tick);
    slots_[s].push_back(fan);
    set_bit(s);
    ++in_slots_;
  }
}

void wake_wheel::pop_due(time_us now, std::vector<uint32_t>& out) {
  const int64_t now_tick = now < 0 ? -1 : now / resolution_;
  while (cursor_ <= now_tick) {
    migrate();
    auto t = first_occupied();
    if (t && *t <= now_tick) {
      auto& slot = slots_[slot_of(*t)];
      out.insert(out.end(), slot.begin(), slot.end());
      in_slots_ -= slot.size();
      slot.clear();
      clear_bit(slot_of(*t));
      cursor_ = *t + 1;
      continue;
    }
    // Nothing due within the span: jump to what is due next in the overflow, or past now.
    int64_t jump = now_tick + 1;
    if (!overflow_.empty() && overflow_.begin()->first <= now_tick)
      jump = overflow_.begin()->first - span_ + 1;
    if (t) jump = std::min(jump, *t);
    cursor_ = std::max(cursor_ + 1, jump);
  }
  migrate();
}

}  // namespace concert::sim
