// What a run saw: every reply folded into an ordered event trace (hashed into the digest
// and optionally written to a file), the counters of the report, and the records the
// invariant checks need (tokens with their observed waits and admissions, holds,
// payments, charges per user). Transport-neutral: the actor and HTTP drivers both call
// `observe`. Not thread-safe: one driver owns it, or several take driver_context::rec_lock.
#pragma once

#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "actors/types.hpp"
#include "simulation/journey.hpp"

namespace concert::sim {

/// 64-bit FNV-1a over integers (each as 8 little-endian bytes): the run's digest.
class fnv1a64 {
 public:
  void add(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h_ ^= (v >> (8 * i)) & 0xff;
      h_ *= 0x100000001b3ULL;
    }
  }
  uint64_t value() const { return h_; }
  std::string hex() const;

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

/// One event of the trace. Only integers, so the digest never sees formatted numbers.
struct trace_event {
  time_us t = 0;  ///< µs since the on-sale moment (virtual in inproc mode)
  user_id user = 0;
  op kind = op::none;
  uint8_t outcome = 0;           ///< code, 255 for a failed request, ending for op::done
  uint64_t a = 0, b = 0, c = 0;  ///< per kind, see docs/simulation.md
};

/// A queue token as the driver saw it. Stamps order observations: with one driver talking
/// to one gate (FIFO per sender) a send stamp alone orders them; otherwise a reply stamp
/// is needed to be sure (see invariants.hpp).
struct token_record {
  user_id user = 0;
  uint64_t issue_send = 0, issue_recv = 0;
  uint64_t last_wait_send = 0;                                        ///< 0: never seen waiting
  uint64_t first_active_recv = std::numeric_limits<uint64_t>::max();  ///< max: never active
  time_us issued_at = 0;
  time_us admitted_at = -1;  ///< first seen ACTIVE, -1 never
};

struct hold_record {
  reservation_id id = 0;
  user_id user = 0;
  schedule_id schedule = 0;
  seat_no seat = 0;
  points price = 0;
  time_us expires_at = 0;  ///< system epoch scale
};

struct payment_record {
  reservation_id resv = 0;
  user_id user = 0;
  uint64_t id = 0;
  points amount = 0;
  time_us at = 0;  ///< µs since the on-sale moment, when the driver saw it
};

struct user_tally {
  points charged = 0;  ///< sum of successful charges
  points spent = 0;    ///< sum of distinct successful payments
  /// Charges that got no answer (the system crashed meanwhile): each may or may not
  /// have happened, so the wallet may hold up to this much more than `charged` says.
  points uncertain_charged = 0;
};

/// The report's counts (names follow docs/simulation.md).
struct run_counts {
  uint64_t tokens_issued = 0, admitted = 0, holds_placed = 0, hold_conflicts = 0, holds_expired = 0,
           payments_succeeded = 0, payments_rejected = 0, seats_sold = 0, polls = 0, leaves = 0,
           operations = 0, failures = 0, duplicate_payments = 0,
           events = 0;  ///< trace events (replies, fan endings, samples)
  points points_charged = 0, points_spent = 0;
  std::map<std::string, uint64_t> endings;  ///< how journeys ended, by name
};

/// One sample of the line and the sales, for the time series of the capacity report.
struct series_point {
  time_us t = 0;
  uint64_t waiting = 0, active = 0, sold = 0;
};

const char* ending_name(ending e);

class recorder {
 public:
  /// `ordered_channel`: one driver and one gate, so send stamps order observations.
  explicit recorder(bool ordered_channel = true);

  /// Write the trace, one event a line, to `path` (empty: no file). False on error.
  bool open_trace(const std::string& path);

  /// Folds one reply in. `fan` indexes per-fan bookkeeping (0..fans-1).
  void observe(uint32_t fan, user_id user, const action& sent, const outcome& o, time_us now,
               uint64_t send_stamp, uint64_t recv_stamp);
  /// A journey ended.
  void finished(user_id user, ending how, time_us now);
  /// Wall-clock latency of one request in µs (live and http modes).
  void latency(uint32_t us) { latencies_us_.push_back(us); }
  /// One guard check or other extra request that is not a fan step.
  void count_operation() { ++counts_.operations; }
  void sample(time_us t, uint64_t waiting, uint64_t active);

  const run_counts& counts() const { return counts_; }
  run_counts& counts() { return counts_; }
  std::string digest() const { return digest_.hex(); }
  bool ordered_channel() const { return ordered_; }
  /// Several drivers: send stamps alone no longer order what the gate saw.
  void set_ordered_channel(bool ordered) { ordered_ = ordered; }
  const std::vector<token_record>& tokens() const { return tokens_; }
  const std::vector<hold_record>& holds() const { return holds_; }
  const std::map<reservation_id, payment_record>& payments() const { return payments_; }
  const std::map<user_id, user_tally>& users() const { return users_; }
  /// Payments that got no answer and no later answer for the same reservation: each may
  /// or may not have happened (reservation -> user).
  const std::map<reservation_id, user_id>& uncertain_payments() const { return uncertain_pays_; }
  const std::vector<uint32_t>& latencies_us() const { return latencies_us_; }
  const std::vector<series_point>& series() const { return series_; }
  /// Problems seen while running (a duplicate payment that answered differently...).
  const std::vector<std::string>& online_violations() const { return online_violations_; }
  time_us last_event() const { return last_t_; }
  void close_trace();
  ~recorder();

  recorder(const recorder&) = delete;
  recorder& operator=(const recorder&) = delete;

 private:
  void emit(const trace_event& e);
  void on_token(uint32_t fan, user_id user, const action& sent, const outcome& o, time_us now,
                uint64_t send_stamp, uint64_t recv_stamp);
  void on_hold(user_id user, const action& sent, const outcome& o);
  void on_pay(user_id user, const action& sent, const outcome& o, time_us now);
  void on_failure(uint32_t fan, user_id user, const action& sent, uint64_t send_stamp);
  trace_event event_of(user_id user, const action& sent, const outcome& o, time_us now) const;

  bool ordered_;
  fnv1a64 digest_;
  std::FILE* trace_ = nullptr;
  run_counts counts_;
  std::vector<token_record> tokens_;
  std::vector<uint32_t> fan_token_;  ///< fan -> 1 + index in tokens_ of its token (0: none)
  /// fan -> send stamp of its first issue that got no answer since its last answered one
  /// (0: none): when a retry finds the token that lost request created, it was issued then.
  std::vector<uint64_t> lost_issue_;
  std::vector<hold_record> holds_;
  std::map<reservation_id, payment_record> payments_;
  std::map<user_id, user_tally> users_;
  std::map<reservation_id, user_id> uncertain_pays_;
  std::vector<uint32_t> latencies_us_;
  std::vector<series_point> series_;
  std::vector<std::string> online_violations_;
  time_us last_t_ = 0;
};

}  // namespace concert::sim
