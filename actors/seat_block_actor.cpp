// Behavior of the seat-block actor: compute now from the injected clock, apply the
// operation to the seat_block, arm a timer when a deadline was created, and report a changed
// available count. Timers only make settling happen sooner; correctness never depends on
// when (or whether) they fire, because seat_block compares every deadline itself.
#include "actors/seat_block_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <optional>
#include <utility>

namespace concert {

namespace {

struct block_state {
  std::optional<seat_block> block;  ///< set when the behavior starts (CAF default-constructs state)
  seat_count_listener listener;
  uint32_t index = 0;
  time_base tb;
  uint32_t reported = 0;  ///< available count the listener last heard
};

using block_pointer = seat_block_actor::stateful_pointer<block_state>;

time_us now_of(block_pointer self) { return self->state.tb.now(self->clock()); }

/// Tells the listener when the available count moved since the last report.
void report(block_pointer self) {
  auto& st = self->state;
  if (st.block->available() == st.reported) return;
  st.reported = st.block->available();
  if (st.listener) self->send(st.listener, avail_atom::value, st.index, st.reported);
}

/// A clean-up timer for `rid` at the epoch instant `at`.
void arm(block_pointer self, reservation_id rid, time_us at) {
  self->scheduled_send(self, self->state.tb.to_clock(at), expire_atom::value, rid);
}

/// Timers for the live holds and locks a restored block brings along.
void arm_restored(block_pointer self) {
  const auto& b = *self->state.block;
  for (seat_no seat = b.first_seat(); seat <= b.last_seat(); ++seat) {
    const auto& r = b.record(seat);
    if (r.status == seat_status::held || r.status == seat_status::paying)
      arm(self, r.rid, r.deadline);
    if (r.status == seat_status::paying) arm(self, r.rid, r.pay_deadline);
  }
}

seat_block_actor::behavior_type seat_block_fn(block_pointer self, seat_block block,
                                              seat_count_listener listener, uint32_t index,
                                              time_base tb) {
  self->state.block.emplace(std::move(block));
  self->state.listener = std::move(listener);
  self->state.index = index;
  self->state.tb = tb;
  arm_restored(self);
  if (self->state.listener)
    self->send(self->state.listener, avail_atom::value, index, self->state.block->available());
  self->state.reported = self->state.block->available();
  return {
      [=](seats_atom, bool all) -> caf::result<code, std::vector<seat_info>> {
        auto seats = self->state.block->list(now_of(self), all);
        report(self);
        return {code::ok, std::move(seats)};
      },
      [=](hold_atom, user_id user, seat_no seat) -> caf::result<code, reservation> {
        auto out = self->state.block->hold(user, seat, now_of(self));
        if (out.result == code::created) arm(self, out.resv.id, out.resv.expires_at);
        report(self);
        return {out.result, out.resv};
      },
      [=](lock_atom, user_id user, reservation_id rid) -> caf::result<code> {
        auto now = now_of(self);
        auto c = self->state.block->lock(user, rid, now);
        if (c == code::ok) arm(self, rid, now + self->state.block->params().pay_timeout);
        report(self);
        return c;
      },
      [=](sell_atom, user_id user, reservation_id rid) -> caf::result<code> {
        auto c = self->state.block->sell(user, rid, now_of(self));
        report(self);
        return c;
      },
      [=](unlock_atom, user_id user, reservation_id rid) -> caf::result<code> {
        auto c = self->state.block->unlock(user, rid, now_of(self));
        report(self);
        return c;
      },
      [=](stats_atom) -> caf::result<seat_stats> {
        auto s = self->state.block->stats(now_of(self));
        report(self);
        return s;
      },
      [=](expire_atom, reservation_id rid) {
        self->state.block->expire(rid, now_of(self));
        report(self);
      },
  };
}

}  // namespace

seat_block_actor spawn_seat_block(caf::actor_system& sys, seat_block block,
                                  seat_count_listener listener, uint32_t index, time_base tb) {
  return sys.spawn(seat_block_fn, std::move(block), std::move(listener), index, tb);
}

}  // namespace concert
