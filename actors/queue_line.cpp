// The queue line's bookkeeping: waiters live in a window of slots indexed by sequence
// number (compacted from the front as the head moves on), a Fenwick tree over the same
// window counts live waiters for O(log n) positions, an intrusive list ordered by last
// poll finds idle waiters, and actives sit in a map ordered by sequence, which is also
// admission and expiry order. Rate admission uses integer credit, so it is exact.
#include "actors/queue_line.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace concert {

namespace {

/// One admission in rate credit units. Credit grows by `rate_micro_` per microsecond,
/// so one admission per second is 1e6 units a microsecond: 1e12 units per admission.
constexpr int64_t credit_one = 1'000'000'000'000;
/// The highest rate the fixed point can express: one admission per microsecond.
constexpr double max_rate_per_second = 1e6;
/// The Fenwick window never shrinks below this many slots (avoids rebuild churn).
constexpr uint64_t fen_min_slots = 1024;
constexpr time_us us_per_second = 1'000'000;

/// Stays on in release builds: a broken invariant here would silently reorder the line.
void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "queue_line: broken invariant: %s\n", what);
    std::abort();
  }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

uint64_t lowest_bit(uint64_t i) { return i & (~i + 1); }

}  // namespace

queue_line::queue_line(queue_line_config cfg) : cfg_(cfg) {
  require(cfg_.active_ttl > 0, "active_ttl > 0");
  require(cfg_.waiting_idle > 0, "waiting_idle > 0");
  if (cfg_.admit_per_second > 0) {
    auto r = std::min(cfg_.admit_per_second, max_rate_per_second);
    rate_micro_ = std::max<int64_t>(1, std::llround(r * 1e6));
  }
  credit_ = credit_one;  // a burst of one: the first fan may come in at once
  fen_.assign(fen_min_slots + 1, 0);
}

// ------------------------------------------------------------------ public operations

std::optional<queue_ticket> queue_line::issue(user_id user, time_us now) {
  if (user == 0) return std::nullopt;
  advance(now);
  if (auto it = by_user_.find(user); it != by_user_.end()) {
    auto seq = it->second;
    auto w = locate(seq, user);
    require(w != where::none, "indexed user is live");
    if (w == where::waiting) touch(seq);
    return queue_ticket{false, seq, view_of(seq, w)};
  }
  if (full()) return std::nullopt;
  auto seq = next_seq_++;
  add_waiter(seq, user);
  by_user_.emplace(user, seq);
  ++counters_.issued_total;
  run_events_at(clock_);  // a free slot admits the newcomer right away
  auto w = locate(seq, user);
  require(w != where::none, "a new token lives");
  return queue_ticket{true, seq, view_of(seq, w)};
}

code queue_line::poll(uint64_t seq, user_id user, time_us now, token_view& out) {
  advance(now);
  auto w = locate(seq, user);
  if (w == where::none) return lookup_code(seq);
  if (w == where::waiting) touch(seq);
  out = view_of(seq, w);
  return code::ok;
}

code queue_line::status(uint64_t seq, user_id user, time_us now, token_view& out) {
  advance(now);
  auto w = locate(seq, user);
  if (w == where::none) return lookup_code(seq);
  out = view_of(seq, w);
  return code::ok;
}

code queue_line::check(uint64_t seq, user_id user, time_us now) {
  advance(now);
  switch (locate(seq, user)) {
    case where::active:
      return code::ok;
    case where::waiting:
      return code::queue_not_admitted;
    case where::none:
      break;
  }
  return lookup_code(seq);
}

code queue_line::leave(uint64_t seq, user_id user, time_us now) {
  advance(now);
  auto w = locate(seq, user);
  if (w == where::none) return lookup_code(seq);
  if (w == where::waiting) {
    by_user_.erase(user);
    remove_waiter(seq);
  } else {
    end_active(active_.find(seq));
  }
  ++counters_.ended_total;
  run_events_at(clock_);  // a freed slot lets the next fan in at once
  return code::ok;
}

code queue_line::end_user(user_id user, time_us now) {
  advance(now);
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return code::token_expired;
  auto a = active_.find(it->second);
  if (a == active_.end()) return code::token_expired;  // waiting: payment was not its turn
  end_active(a);
  ++counters_.ended_total;
  run_events_at(clock_);
  return code::ok;
}

void queue_line::advance(time_us now) {
  start_at(now);
  now = std::max(now, clock_);
  // Events between the last call and `now` happen at their own times, in order, so an
  // admission that a TTL expiry allowed is stamped with the expiry's time.
  while (auto t = next_wakeup()) {
    if (*t > now) break;
    clock_ = std::max(clock_, *t);
    run_events_at(clock_);
  }
  clock_ = now;
  require(waiting_ + active_.size() == by_user_.size(), "every live token is indexed once");
  require(waiting_ <= slots_.size(), "waiters fit their window");
}

std::optional<time_us> queue_line::next_wakeup() const {
  if (!started_) return std::nullopt;
  std::optional<time_us> best;
  auto consider = [&best](time_us t) {
    if (!best || t < *best) best = t;
  };
  if (!active_.empty()) consider(active_.begin()->second.admitted_at + cfg_.active_ttl);
  if (idle_head_ != 0) consider(slot_of(idle_head_).last_poll + cfg_.waiting_idle);
  if (auto a = next_admission_time()) consider(*a);
  return best;
}

gate_stats queue_line::stats() const {
  auto s = counters_;
  s.waiting = waiting_;
  s.active = active_.size();
  return s;
}

std::vector<admission_record> queue_line::drain_admissions() {
  std::vector<admission_record> out;
  out.swap(log_);
  return out;
}

std::vector<uint64_t> queue_line::drain_changes() {
  std::vector<uint64_t> out;
  out.swap(changed_);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<line_token> queue_line::token(uint64_t seq) const {
  if (auto a = active_.find(seq); a != active_.end())
    return line_token{seq, a->second.user, true, a->second.admitted_at};
  if (seq >= slot_base_ && seq < next_seq_ && slot_of(seq).user != 0)
    return line_token{seq, slot_of(seq).user, false, 0};
  return std::nullopt;
}

void queue_line::restore(std::vector<line_token> tokens, uint64_t next_seq, time_us now) {
  require(!started_ && next_seq_ == 1 && by_user_.empty(), "restore into a fresh line");
  start_at(now);
  std::sort(tokens.begin(), tokens.end(),
            [](const line_token& a, const line_token& b) { return a.seq < b.seq; });
  uint64_t last_active = 0;
  for (const auto& t : tokens)
    if (t.active) last_active = std::max(last_active, t.seq);
  next_seq_ = std::max<uint64_t>(next_seq, 1);
  if (!tokens.empty()) next_seq_ = std::max(next_seq_, tokens.back().seq + 1);
  std::vector<line_token> waiters;
  for (const auto& t : tokens) {
    // Admission is FIFO, so a waiter behind an active token cannot be a state we wrote.
    bool impossible = t.seq == 0 || t.user == 0 || by_user_.count(t.user) > 0 ||
                      (!t.active && t.seq < last_active);
    if (impossible) {
      note_change(t.seq);
      continue;
    }
    by_user_.emplace(t.user, t.seq);
    if (t.active)
      active_.emplace(t.seq, active_entry{t.user, t.admitted_at});
    else
      waiters.push_back(t);
  }
  slot_base_ = waiters.empty() ? next_seq_ : waiters.front().seq;
  slots_.assign(next_seq_ - slot_base_, slot{});
  for (const auto& w : waiters) {
    slot_of(w.seq).user = w.user;
    slot_of(w.seq).last_poll = clock_;
    idle_push_back(w.seq);
    ++waiting_;
  }
  fen_rebuild();
  require(waiting_ + active_.size() == by_user_.size(), "every restored token is indexed once");
}

// ------------------------------------------------------------------ lookups

queue_line::where queue_line::locate(uint64_t seq, user_id user) const {
  // By sequence, not through by_user_: a live slot or active entry names its user, and
  // a user has one live token at most, so (seq, user) matching one is the user's live
  // token. (The hash lookup by user was 6 % of a 100k-fan simulation: cache misses.)
  if (seq >= slot_base_ && seq < next_seq_ && slot_of(seq).user != 0)
    return slot_of(seq).user == user ? where::waiting : where::none;
  auto a = active_.find(seq);
  return a != active_.end() && a->second.user == user ? where::active : where::none;
}

code queue_line::lookup_code(uint64_t seq) const {
  // Only a sequence this line handed out can have expired; others were never ours.
  return seq == 0 || seq >= next_seq_ ? code::token_invalid : code::token_expired;
}

token_view queue_line::view_of(uint64_t seq, where w) const {
  token_view v;
  if (w == where::active) {
    const auto& a = active_.at(seq);
    v.user = a.user;
    v.active = true;
    v.expires_at = a.admitted_at + cfg_.active_ttl;
    auto left_s = ceil_div(std::max<time_us>(v.expires_at - clock_, 0), us_per_second);
    v.next_poll_seconds = std::clamp<int64_t>(left_s, 1, max_poll_seconds());
    return v;
  }
  const auto& s = slot_of(seq);
  v.user = s.user;
  v.position = position_of(seq);
  v.eta_seconds = eta_seconds(v.position);
  v.next_poll_seconds = next_poll_seconds(v.eta_seconds);
  v.expires_at = s.last_poll + cfg_.waiting_idle;
  return v;
}

uint64_t queue_line::position_of(uint64_t seq) const { return fen_prefix(seq) + 1; }

int64_t queue_line::eta_seconds(uint64_t position) const {
  auto interval = admission_interval_us();
  if (interval <= 0) return 0;
  constexpr auto max = std::numeric_limits<int64_t>::max();
  if (position > static_cast<uint64_t>(max / interval)) return max / us_per_second;
  return ceil_div(static_cast<int64_t>(position) * interval, us_per_second);
}

int64_t queue_line::max_poll_seconds() const {
  // A third of the idle timeout: a client that polls when told survives two lost polls.
  return std::max<int64_t>(1, cfg_.waiting_idle / 3 / us_per_second);
}

int64_t queue_line::next_poll_seconds(int64_t eta) const {
  // A quarter of the wait: about four polls per wait at the front, and a flat poll
  // rate per waiter (capped well under the idle timeout) at the back. (Half the wait
  // was measured: half the polls, but fans learnt of their turn later, so slots idled
  // and the median wait of a 100k on-sale grew from 192 s to 325 s; docs/simulation.md.)
  return std::clamp<int64_t>(eta / 4, 1, max_poll_seconds());
}

time_us queue_line::admission_interval_us() const {
  if (recent_count_ >= 2) {
    auto oldest = recent_count_ < recent_admissions ? recent_[0] : recent_[recent_next_];
    auto newest = recent_[(recent_next_ + recent_admissions - 1) % recent_admissions];
    // A burst at one instant (the first fill of the cap) says nothing about the pace.
    if (newest > oldest) return (newest - oldest) / static_cast<time_us>(recent_count_ - 1);
  }
  time_us by_rate = rate_micro_ > 0 ? ceil_div(credit_one, rate_micro_) : 0;
  time_us by_cap =
      cfg_.max_active > 0 ? ceil_div(cfg_.active_ttl, static_cast<time_us>(cfg_.max_active)) : 0;
  return std::max(by_rate, by_cap);
}

// ------------------------------------------------------------------ time-ordered work

void queue_line::start_at(time_us now) {
  if (started_) return;
  started_ = true;
  clock_ = now;
  credit_at_ = now;
}

void queue_line::run_events_at(time_us t) {
  expire_active(t);
  drop_idle(t);
  while (waiting_ > 0 && cap_allows()) {
    if (rate_micro_ > 0) {
      refill_credit(t);
      if (credit_ < credit_one) break;
    }
    admit_front(t);
  }
}

std::optional<time_us> queue_line::next_admission_time() const {
  if (waiting_ == 0 || !cap_allows()) return std::nullopt;  // an expiry will free a slot
  if (rate_micro_ == 0) return clock_;
  auto t =
      credit_ >= credit_one ? credit_at_ : credit_at_ + ceil_div(credit_one - credit_, rate_micro_);
  return std::max(t, clock_);
}

bool queue_line::cap_allows() const {
  return cfg_.max_active == 0 || active_.size() < cfg_.max_active;
}

void queue_line::refill_credit(time_us t) {
  if (t <= credit_at_) return;
  if (credit_ < credit_one) {
    // Credit grows until the first microsecond it covers an admission and stops there
    // (a burst of one). The sub-microsecond excess is kept, so the long-run rate is
    // exact; min() before multiplying keeps a long quiet spell from overflowing.
    auto steps = ceil_div(credit_one - credit_, rate_micro_);
    credit_ += std::min(t - credit_at_, steps) * rate_micro_;
  }
  credit_at_ = t;
}

void queue_line::admit_front(time_us t) {
  require(waiting_ > 0 && !slots_.empty(), "someone to admit");
  auto seq = slot_base_;
  auto user = slots_.front().user;
  require(user != 0, "the window's front is a live waiter");
  require(active_.empty() || active_.rbegin()->first < seq, "admission is FIFO by seq");
  remove_waiter(seq);
  active_.emplace_hint(active_.end(), seq, active_entry{user, t});
  note_change(seq);
  if (rate_micro_ > 0) credit_ -= credit_one;
  recent_[recent_next_] = t;
  recent_next_ = (recent_next_ + 1) % recent_admissions;
  recent_count_ = std::min(recent_count_ + 1, recent_admissions);
  ++counters_.admitted_total;
  if (log_admissions_) log_.push_back(admission_record{seq, user, t});
}

void queue_line::expire_active(time_us t) {
  while (!active_.empty() && active_.begin()->second.admitted_at + cfg_.active_ttl <= t) {
    end_active(active_.begin());
    ++counters_.expired_active_total;
  }
}

void queue_line::drop_idle(time_us t) {
  while (idle_head_ != 0 && slot_of(idle_head_).last_poll + cfg_.waiting_idle <= t) {
    auto seq = idle_head_;
    by_user_.erase(slot_of(seq).user);
    remove_waiter(seq);
    ++counters_.dropped_idle_total;
  }
}

// ------------------------------------------------------------------ waiting structures

void queue_line::add_waiter(uint64_t seq, user_id user) {
  require(seq + 1 == next_seq_, "waiters join at the back");
  require(slot_base_ + slots_.size() == seq, "the window ends at the newest seq");
  slots_.push_back(slot{user, clock_, 0, 0});
  note_change(seq);
  if (seq - fen_base_ + 1 >= fen_.size())
    fen_rebuild();  // includes the new slot
  else
    fen_add(seq, +1);
  idle_push_back(seq);
  ++waiting_;
}

void queue_line::remove_waiter(uint64_t seq) {
  auto& s = slot_of(seq);
  require(s.user != 0, "removing a live waiter");
  fen_add(seq, -1);
  idle_unlink(seq);
  s.user = 0;
  --waiting_;
  note_change(seq);
  compact_front();
}

void queue_line::compact_front() {
  while (!slots_.empty() && slots_.front().user == 0) {
    slots_.pop_front();
    ++slot_base_;
  }
  require(slot_base_ + slots_.size() == next_seq_, "the window ends at the newest seq");
}

void queue_line::touch(uint64_t seq) {
  idle_unlink(seq);
  slot_of(seq).last_poll = clock_;
  idle_push_back(seq);
}

void queue_line::idle_push_back(uint64_t seq) {
  auto& s = slot_of(seq);
  require(idle_tail_ == 0 || slot_of(idle_tail_).last_poll <= s.last_poll,
          "idle list ordered by last poll");
  s.idle_prev = idle_tail_;
  s.idle_next = 0;
  if (idle_tail_ != 0)
    slot_of(idle_tail_).idle_next = seq;
  else
    idle_head_ = seq;
  idle_tail_ = seq;
}

void queue_line::idle_unlink(uint64_t seq) {
  auto& s = slot_of(seq);
  if (s.idle_prev != 0)
    slot_of(s.idle_prev).idle_next = s.idle_next;
  else
    idle_head_ = s.idle_next;
  if (s.idle_next != 0)
    slot_of(s.idle_next).idle_prev = s.idle_prev;
  else
    idle_tail_ = s.idle_prev;
  s.idle_prev = 0;
  s.idle_next = 0;
}

void queue_line::end_active(std::map<uint64_t, active_entry>::iterator it) {
  require(it != active_.end(), "ending a live active token");
  note_change(it->first);
  by_user_.erase(it->second.user);
  active_.erase(it);
}

// ------------------------------------------------------------------ Fenwick tree

void queue_line::fen_add(uint64_t seq, int32_t delta) {
  require(seq >= fen_base_ && seq - fen_base_ + 1 < fen_.size(), "seq inside the tree");
  for (auto i = seq - fen_base_ + 1; i < fen_.size(); i += lowest_bit(i))
    fen_[i] += static_cast<uint32_t>(delta);  // modular: adding -1 as unsigned subtracts
}

uint64_t queue_line::fen_prefix(uint64_t seq) const {
  require(seq >= fen_base_ && seq - fen_base_ < fen_.size(), "seq inside the tree");
  uint64_t sum = 0;
  for (auto i = seq - fen_base_; i > 0; i -= lowest_bit(i)) sum += fen_[i];
  return sum;
}

void queue_line::fen_rebuild() {
  // Re-anchor at the window's front with room to double: the next rebuild is at least
  // as many issues away as this one costs, so issuing stays amortised O(1).
  fen_base_ = slot_base_;
  auto n = static_cast<uint64_t>(slots_.size());
  auto cap = std::max(fen_min_slots, 2 * n);
  fen_.assign(cap + 1, 0);
  for (uint64_t i = 0; i < n; ++i) fen_[i + 1] = slots_[i].user != 0 ? 1 : 0;
  for (uint64_t i = 1; i <= cap; ++i) {
    auto j = i + lowest_bit(i);
    if (j <= cap) fen_[j] += fen_[i];
  }
}

}  // namespace concert
