// One fan's journey as a plain state machine: given the reply to its last request (and
// the time), it decides the next request and when to send it. It never talks to the
// system itself; the actor driver and the HTTP driver execute its actions, so every mode
// runs the same behaviour. No CAF, no clock of its own, no floating point.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/rng.hpp"
#include "actors/types.hpp"
#include "simulation/workload.hpp"

namespace concert::sim {

/// What a fan can ask. Guarded operations need an ACTIVE token (the edge's check).
enum class op : uint8_t {
  none = 0,
  charge,    // add points (no token)
  issue,     // take a queue token
  poll,      // ask the token's status
  leave,     // leave the line / free the active slot
  concerts,  // guarded from here on
  schedules,
  seats,
  hold,
  pay,
  done,  // the journey is over; nothing to send
};

constexpr bool is_guarded(op k) { return k >= op::concerts && k <= op::pay; }
const char* op_name(op k);

/// The next request of a fan and when to send it.
struct action {
  op kind = op::none;
  time_us at = 0;  ///< µs since the on-sale moment
  concert_id concert = 0;
  schedule_id schedule = 0;
  seat_no seat = 0;
  reservation_id resv = 0;
  points amount = 0;
  std::string key;     ///< idempotency key of a payment
  bool twice = false;  ///< send two copies at once (a double click); the copy's reply
                       ///< is recorded but not shown to the journey
};

/// A reply, whatever the transport. `failed`: no business answer at all (timeout,
/// dead actor, broken connection); `c` then says nothing.
struct outcome {
  code c = code::ok;
  bool failed = false;
  token_view token;
  std::vector<concert_info> concerts;
  std::vector<schedule_info> schedules;
  std::vector<seat_info> seats;
  reservation resv;
  payment pay;
  points balance = 0;
};

/// Knobs of behaviour shared by every fan (from the workload), in integer form.
struct journey_rules {
  time_us think_mean = seconds_us(3);
  seat_preference preference = seat_preference::best;
  uint32_t best_window = 4;
  uint32_t max_visits = 2;
  uint32_t browse_limit = 6;
  uint32_t conflict_limit = 3;
  uint32_t refresh_limit = 2;
  time_us poll_cap = 0;        ///< 0: poll when the gate says; else at most this long
  time_us epoch_at_start = 0;  ///< the system's clock reading at the on-sale moment
  /// A request that got no answer (a crashed system, a timeout) is sent again, after
  /// `retry_backoff` times the attempt, up to this many times in a row; then the fan
  /// ends as `failed`. Payments keep their idempotency key, so a retry cannot pay twice.
  uint32_t retries = 5;
  time_us retry_backoff = seconds_us(1);
};

journey_rules rules_from(const workload_config& cfg);

/// How a journey ended, for the report.
enum class ending : uint8_t {
  running = 0,
  bought,
  partly_bought,
  sold_out,
  abandoned,
  gave_up,
  never_paid,
  failed
};

/// A fan's state machine. Call `start` once, then `on_reply` with the reply to every
/// action it returned, until `finished()`.
class fan_journey {
 public:
  fan_journey(const fan_plan& plan, const journey_rules& rules);

  /// The first request (a pre-charge or the token), at the fan's arrival.
  action start();
  /// The next request after `sent` got `o` at `now`. `o` may be moved from.
  action on_reply(const action& sent, outcome& o, time_us now);

  bool finished() const { return end_ != ending::running; }
  ending how() const { return end_; }
  user_id user() const { return plan_.user; }
  const fan_plan& plan() const { return plan_; }
  /// The token of the current visit (empty before the first issue).
  const std::string& token() const { return token_; }
  uint32_t bought() const { return bought_; }

 private:
  struct held {
    reservation_id id = 0;
    points price = 0;
    time_us expires_at = 0;  ///< on the system's epoch scale
  };

  action on_token(const action& sent, outcome& o, time_us now);
  action on_concerts(outcome& o, time_us now);
  action on_schedules(outcome& o, time_us now);
  action on_seats(outcome& o, time_us now);
  action on_hold(outcome& o, time_us now);
  action on_pay(const action& sent, outcome& o, time_us now);
  action on_charge(const action& sent, outcome& o, time_us now);
  action on_failure(const action& sent, time_us now);

  action admitted(time_us now);
  action waiting(const token_view& v, time_us now);
  action proceed(time_us now);
  action browse_next(time_us now);
  action proceed_or_finish_sold_out(time_us now);
  action pick_and_hold(time_us now);
  action pay_first_live(time_us now);
  action rejoin_or_finish(time_us now, ending why);
  action finish(time_us now, ending why);
  action make(op k, time_us at) const;
  time_us think(time_us now);
  bool guard_refused(const outcome& o) const;

  fan_plan plan_;
  const journey_rules* rules_;
  rng rng_;
  ending end_ = ending::running;
  ending pending_end_ = ending::running;  ///< why, while the final leave is in flight
  std::string token_;
  bool token_live_ = false;
  uint32_t visits_ = 0;
  uint32_t bought_ = 0;
  uint32_t browses_ = 0, conflicts_ = 0, refreshes_ = 0, topups_ = 0, pay_attempt_ = 0;
  bool duplicate_sent_ = false;
  uint32_t failures_ = 0;  ///< requests in a row that got no answer
  concert_id concert_ = 0;
  schedule_id schedule_ = 0;
  std::vector<concert_id> concerts_left_;
  std::vector<schedule_id> schedules_tried_;
  std::vector<seat_no> candidates_;
  std::vector<held> holds_;
  time_us wait_start_ = 0;
};

}  // namespace concert::sim
