// The waiting line in front of the box office, as a plain class driven by injected time:
// numbers fans in arrival order, admits them strictly first come first served under an
// active-user cap and/or an admission rate, and ends their turn on payment, leave, idle
// silence or TTL. It knows nothing of tokens as strings, actors or timers: the gate actor
// signs (seq, user) pairs and wakes the line at `next_wakeup()`.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "actors/types.hpp"

namespace concert {

/// How the line meters fans in. Either limit, both, or none may be set. REQUIRES:
/// active_ttl > 0 and waiting_idle > 0 (checked; the process aborts otherwise). Rates
/// above 1e6/s are treated as 1e6/s (one admission per microsecond).
struct queue_line_config {
  uint64_t max_active = 100;              ///< users inside at once; 0 = no cap
  double admit_per_second = 0;            ///< admissions per second; 0 = no rate limit
  time_us active_ttl = seconds_us(600);   ///< how long an admitted user may stay inside
  time_us waiting_idle = seconds_us(60);  ///< a waiter silent this long is dropped
  /// Waiters at most; a newcomer beyond it is refused (the line's memory stays bounded
  /// under a flood of new users). 0 = no bound.
  uint64_t max_waiting = 0;
};

/// What `issue` hands out: the sequence number to sign and the holder's view
/// (`view.token` is left empty; the caller fills in the signed string).
struct queue_ticket {
  bool created = false;  ///< false: the user's live token came back
  uint64_t seq = 0;
  token_view view;
};

/// One admission, for callers that check the line is first come, first served.
struct admission_record {
  uint64_t seq = 0;
  user_id user = 0;
  time_us at = 0;
};

/// A live token as the store keeps it: who, and whether (and since when) it is active.
struct line_token {
  uint64_t seq = 0;
  user_id user = 0;
  bool active = false;
  time_us admitted_at = 0;  ///< when active
};

/// The line. Not thread-safe: one owner (the gate actor) calls it. Every call that
/// takes `now` first does all work due by then, in time order, so results do not
/// depend on how late the owner wakes up. Time never runs backwards: an earlier `now`
/// is treated as the latest one seen. Memory grows with the span of sequence numbers
/// from the oldest live waiter to the newest token (about 36 bytes per number in the
/// span, plus about 50 per live token for the user index).
class queue_line {
 public:
  explicit queue_line(queue_line_config cfg = {});

  /// A token for `user`: a new one at the back of the line (`created`), or the user's
  /// live one (a reissue also counts as a poll). nullopt for user 0 (not a user) and
  /// for a newcomer while `max_waiting` fans wait (`full()`).
  std::optional<queue_ticket> issue(user_id user, time_us now);

  /// Status of (seq, user) and, for a waiter, a sign of life that restarts its idle
  /// timer. ok with the view; token_expired when it no longer lives; token_invalid when
  /// this line never issued `seq`.
  code poll(uint64_t seq, user_id user, time_us now, token_view& out);

  /// Like `poll` without the sign of life (for metrics or tests).
  code status(uint64_t seq, user_id user, time_us now, token_view& out);

  /// The guard for routes behind the gate: ok when ACTIVE, queue_not_admitted when
  /// WAITING, token_expired / token_invalid as for `poll`. Does not refresh idle.
  code check(uint64_t seq, user_id user, time_us now);

  /// The holder leaves the line or frees its active slot (the next fan comes in at
  /// once). ok, token_expired, token_invalid.
  code leave(uint64_t seq, user_id user, time_us now);

  /// The user's payment completed: its ACTIVE token ends and the next fan comes in.
  /// ok; token_expired when the user has no active token (a waiting one is kept).
  code end_user(user_id user, time_us now);

  /// Does every expiry, idle drop and admission due at or before `now`, in time order.
  void advance(time_us now);

  /// When the next due event (admission slot, TTL expiry, idle drop) happens, if any.
  std::optional<time_us> next_wakeup() const;

  gate_stats stats() const;

  /// True while `max_waiting` fans wait: only holders of a live token get one.
  bool full() const { return cfg_.max_waiting != 0 && waiting_ >= cfg_.max_waiting; }

  /// Start (or stop) recording admissions for `drain_admissions`.
  void keep_admission_log(bool on) { log_admissions_ = on; }
  /// Admissions recorded since the last drain, in admission order.
  std::vector<admission_record> drain_admissions();

  const queue_line_config& config() const { return cfg_; }

  // --- persistence: the owner writes the tokens that changed and restores them ---

  /// Start (or stop) recording which tokens changed (issued, admitted, ended in any way)
  /// for `drain_changes`. A poll is no change: the last poll time is not stored.
  void keep_change_log(bool on) { log_changes_ = on; }
  /// Sequence numbers whose token changed since the last drain, ascending, each once.
  /// `token(seq)` tells what each is now (nullopt: it ended and its record goes).
  std::vector<uint64_t> drain_changes();
  /// The live token with this number, or nullopt when it no longer lives (or never did).
  std::optional<line_token> token(uint64_t seq) const;
  /// The number the next new token gets (persisted so numbers are never reused).
  uint64_t next_sequence() const { return next_seq_; }
  /// Refills a line that has issued nothing yet with stored tokens at `now`: actives
  /// keep their admission time (so their TTL runs on), waiters their order and count as
  /// polled at `now` (poll times are not stored). New numbers start at the larger of
  /// `next_seq` and the highest token + 1. Tokens that cannot be live together (a second
  /// token of one user, user 0, a waiter behind an active one) are left out and reported
  /// as changed, so the owner deletes their records.
  void restore(std::vector<line_token> tokens, uint64_t next_seq, time_us now);

 private:
  // A waiting fan. user 0 marks a dead slot (admitted, left or dropped). Idle-list
  // links are sequence numbers (0 = none), so slots can move when the window compacts.
  struct slot {
    user_id user = 0;
    time_us last_poll = 0;
    uint64_t idle_prev = 0;
    uint64_t idle_next = 0;
  };
  struct active_entry {
    user_id user = 0;
    time_us admitted_at = 0;
  };
  enum class where : uint8_t { none, waiting, active };

  // --- lookups ---
  where locate(uint64_t seq, user_id user) const;
  code lookup_code(uint64_t seq) const;
  slot& slot_of(uint64_t seq) { return slots_[seq - slot_base_]; }
  const slot& slot_of(uint64_t seq) const { return slots_[seq - slot_base_]; }
  token_view view_of(uint64_t seq, where w) const;
  uint64_t position_of(uint64_t seq) const;
  int64_t eta_seconds(uint64_t position) const;
  int64_t next_poll_seconds(int64_t eta_seconds) const;
  int64_t max_poll_seconds() const;
  time_us admission_interval_us() const;

  // --- time-ordered work ---
  void start_at(time_us now);
  void run_events_at(time_us t);
  std::optional<time_us> next_admission_time() const;
  bool cap_allows() const;
  void refill_credit(time_us t);
  void admit_front(time_us t);
  void expire_active(time_us t);
  void drop_idle(time_us t);

  // --- waiting structures ---
  void add_waiter(uint64_t seq, user_id user);
  void remove_waiter(uint64_t seq);
  void compact_front();
  void touch(uint64_t seq);  ///< a sign of life: last poll = now, to the idle list's back
  void idle_push_back(uint64_t seq);
  void idle_unlink(uint64_t seq);
  void end_active(std::map<uint64_t, active_entry>::iterator it);
  void note_change(uint64_t seq) {
    if (log_changes_) changed_.push_back(seq);
  }

  // --- Fenwick tree of live waiters over sequence slots [fen_base_, ...) ---
  void fen_add(uint64_t seq, int32_t delta);
  uint64_t fen_prefix(uint64_t seq) const;  ///< live waiters with sequence below seq
  void fen_rebuild();

  queue_line_config cfg_;
  int64_t rate_micro_ = 0;  ///< admissions per 1e6 s (the rate in fixed point)

  bool started_ = false;
  time_us clock_ = 0;      ///< time of the latest work done
  uint64_t next_seq_ = 1;  ///< 0 is never a sequence number

  std::deque<slot> slots_;  ///< waiters with seq in [slot_base_, next_seq_)
  uint64_t slot_base_ = 1;  ///< seq of slots_.front(); its slot is live when non-empty
  uint64_t waiting_ = 0;
  uint64_t idle_head_ = 0;  ///< least recently polled waiter
  uint64_t idle_tail_ = 0;

  std::vector<uint32_t> fen_;  ///< 1-based Fenwick tree; fen_.size() - 1 slots
  uint64_t fen_base_ = 1;

  std::map<uint64_t, active_entry> active_;        ///< by seq = by admission = by expiry
  std::unordered_map<user_id, uint64_t> by_user_;  ///< live token of each user

  int64_t credit_ = 0;  ///< rate credit; one admission costs credit_one
  time_us credit_at_ = 0;

  static constexpr size_t recent_admissions = 32;
  std::array<time_us, recent_admissions> recent_{};  ///< ring of admission times
  size_t recent_count_ = 0;
  size_t recent_next_ = 0;

  gate_stats counters_;
  bool log_admissions_ = false;
  std::vector<admission_record> log_;
  bool log_changes_ = false;
  std::vector<uint64_t> changed_;
};

}  // namespace concert
