// Behavior of the seat-block actor: compute now from the injected clock, apply the
// operation to the seat_block, keep its one clean-up timer at the block's next change, and
// report a changed available count. The timer only makes settling happen sooner;
// correctness never depends on when (or whether) it fires, because seat_block compares
// every deadline itself. One timer per block, not per hold: each timer costs CAF's clock
// thread a wake-up, and a seat sold before its deadline then needs none at all.
// With a store, a changed seat's record goes to the writer and the reply (and the count
// report) waits for its ack; reads wait for earlier writes (write_chain.hpp).
#include "actors/seat_block_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <limits>
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
  /// When the clean-up timer is due (none armed: the maximum).
  time_us armed_at = std::numeric_limits<time_us>::max();
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

/// Moves the clean-up timer to the epoch instant `at` when that is sooner.
void wake_at(block_pointer self, time_us at) {
  auto& st = self->state;
  if (at >= st.armed_at) return;
  st.armed_at = at;
  self->scheduled_send(self, st.tb.to_clock(at), expire_atom::value, at);
}

/// The timer for the block's next change, if any seat has one coming.
void rearm(block_pointer self) {
  if (auto next = self->state.block->next_change()) wake_at(self, *next);
}

seat_block_actor::behavior_type seat_block_fn(block_pointer self, seat_block block,
                                              seat_count_listener listener, uint32_t index,
                                              time_base tb, store_actor writer) {
  self->state.chain = write_chain{std::move(writer)};
  self->state.block.emplace(std::move(block));
  self->state.listener = std::move(listener);
  self->state.index = index;
  self->state.tb = tb;
  rearm(self);  // the live holds and locks of a restored block
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
          wake_at(self, out.resv.expires_at);
          batch = seat_batch(self, seat);
        }
        auto rp = self->make_response_promise<code, reservation>();
        answer(self, std::move(batch), rp, out.result, out.resv);
        return rp;
      },
      [=](lock_atom, user_id user, reservation_id rid) {
        auto now = now_of(self);
        auto c = self->state.block->lock(user, rid, now);
        if (c == code::ok) wake_at(self, now + self->state.block->params().pay_timeout);
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
      [=](expire_atom, time_us at) {
        auto& st = self->state;
        if (at != st.armed_at) return;  // superseded by a sooner timer, which rearmed
        st.armed_at = std::numeric_limits<time_us>::max();
        // A lapse is not written: a HELD record past its deadline is AVAILABLE anyway.
        st.block->settle_due(now_of(self));
        rearm(self);
        if (st.chain.pending() == 0) report(self);  // else the next ack reports
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
