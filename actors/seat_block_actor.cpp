// Behavior of the seat-block actor: compute now from the injected clock, apply the
// operation to the seat_block, arm a timer when a deadline was created, and report a changed
// available count. Timers only make settling happen sooner; correctness never depends on
// when (or whether) they fire, because seat_block compares every deadline itself.
// With a store, a changed seat's record goes to the writer and the reply (and the count
// report) waits for its ack; reads wait for earlier writes (write_chain.hpp).
#include "actors/seat_block_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <optional>
#include <utility>

#include "actors/record_codec.hpp"
#include "actors/write_chain.hpp"
#include "storage/keys.hpp"

namespace concert {

namespace {

struct block_state {
  std::optional<seat_block> block;  ///< set when the behavior starts (CAF default-constructs state)
  seat_count_listener listener;
  uint32_t index = 0;
  time_base tb;
  uint32_t reported = 0;  ///< available count the listener last heard
  write_chain chain;      ///< in memory unless spawned with a writer
  static inline const char* name = "seat_block";
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

/// The batch persisting `seat`'s whole record (empty without a store or a seat).
write_batch seat_batch(block_pointer self, std::optional<seat_no> seat) {
  write_batch b;
  const auto& st = self->state;
  if (!st.chain.persistent() || !seat) return b;
  b.put(family::seats, keys::encode_seat(st.block->params().schedule, *seat),
        records::encode_seat(st.block->record(*seat)));
  return b;
}

/// Replies once `b` (and every earlier write) is durable; the listener hears of a
/// changed count only then too, so a failed write leaves no trace anywhere.
template <class... Ts, class... Vs>
void answer(block_pointer self, write_batch b, caf::typed_response_promise<Ts...> rp,
            Vs... values) {
  self->state.chain.commit(
      self, std::move(b),
      [self, rp, values...]() mutable {
        report(self);
        rp.deliver(values...);
      },
      [rp](const caf::error& err) mutable { rp.deliver(err); });
}

/// A payment step's reply that writes nothing, after the block's earlier writes. Lock and
/// unlock are not written: the stored record stays HELD, which recovery treats like
/// PAYING (an open intent completes the sale, none lets the hold lapse at its deadline),
/// so a payment costs one synced seat write, the sale.
caf::typed_response_promise<code> answer_step(block_pointer self, code c) {
  auto rp = self->make_response_promise<code>();
  answer(self, write_batch{}, rp, c);
  return rp;
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
                                              time_base tb, store_actor writer) {
  self->state.chain = write_chain{std::move(writer)};
  self->state.block.emplace(std::move(block));
  self->state.listener = std::move(listener);
  self->state.index = index;
  self->state.tb = tb;
  arm_restored(self);
  if (self->state.listener)
    self->send(self->state.listener, avail_atom::value, index, self->state.block->available());
  self->state.reported = self->state.block->available();
  return {
      [=](seats_atom, bool all) {
        auto rp = self->make_response_promise<code, std::vector<seat_info>>();
        answer(self, write_batch{}, rp, code::ok, self->state.block->list(now_of(self), all));
        return rp;
      },
      [=](hold_atom, user_id user, seat_no seat) {
        auto out = self->state.block->hold(user, seat, now_of(self));
        write_batch batch;
        if (out.result == code::created) {
          arm(self, out.resv.id, out.resv.expires_at);
          batch = seat_batch(self, seat);
        }
        auto rp = self->make_response_promise<code, reservation>();
        answer(self, std::move(batch), rp, out.result, out.resv);
        return rp;
      },
      [=](lock_atom, user_id user, reservation_id rid) {
        auto now = now_of(self);
        auto c = self->state.block->lock(user, rid, now);
        if (c == code::ok) arm(self, rid, now + self->state.block->params().pay_timeout);
        return answer_step(self, c);
      },
      [=](sell_atom, user_id user, reservation_id rid) {
        auto c = self->state.block->sell(user, rid, now_of(self));
        auto& chain = self->state.chain;
        if (c != code::ok || !chain.persistent()) return answer_step(self, c);
        // Answered once the record is queued, not durable: the buyer's wallet answers its
        // client only after its own closing write, which follows this one through the
        // writer (FIFO, fail-stop), and recovery completes a sale whose intent is open.
        auto rp = self->make_response_promise<code>();
        chain.commit(
            self, seat_batch(self, self->state.block->seat_of(rid)), [self] { report(self); },
            [](const caf::error&) {});
        deliver_queued(chain, rp, c);
        return rp;
      },
      [=](unlock_atom, user_id user, reservation_id rid) {
        return answer_step(self, self->state.block->unlock(user, rid, now_of(self)));
      },
      [=](stats_atom) {
        auto rp = self->make_response_promise<seat_stats>();
        answer(self, write_batch{}, rp, self->state.block->stats(now_of(self)));
        return rp;
      },
      [=](expire_atom, reservation_id rid) {
        // A lapse is not written: a HELD record past its deadline is AVAILABLE anyway.
        self->state.block->expire(rid, now_of(self));
        if (self->state.chain.pending() == 0) report(self);  // else the next ack reports
      },
  };
}

}  // namespace

seat_block_actor spawn_seat_block(caf::actor_system& sys, seat_block block,
                                  seat_count_listener listener, uint32_t index, time_base tb,
                                  store_actor writer) {
  return sys.spawn(seat_block_fn, std::move(block), std::move(listener), index, tb,
                   std::move(writer));
}

}  // namespace concert
