// The injected clock. Actors never read the system clock: they read CAF's actor clock,
// which the deterministic test scheduler virtualises, and shift it onto the Unix epoch
// by a base fixed when the system is built (a fixed date in simulations and tests).
#pragma once

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>

#include <chrono>

#include "actors/types.hpp"

namespace concert {

struct time_base {
  time_us epoch_at_start = 0;            ///< wall time that `start` stands for
  caf::actor_clock::time_point start{};  ///< actor-clock reading at system start

  /// Current time on the epoch scale, from the given actor clock.
  time_us now(const caf::actor_clock& clock) const {
    auto d = clock.now() - start;
    return epoch_at_start + std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  }
  /// The actor-clock time point of an epoch time (for scheduled_send at a deadline).
  caf::actor_clock::time_point to_clock(time_us t) const {
    return start + std::chrono::microseconds(t - epoch_at_start);
  }
};

/// A base anchored at `epoch_now` (0: the real wall clock) and the system's clock now.
inline time_base make_time_base(caf::actor_system& sys, time_us epoch_now = 0) {
  if (epoch_now == 0)
    epoch_now = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return time_base{epoch_now, sys.clock().now()};
}

}  // namespace concert
