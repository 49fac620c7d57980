// Behavior of the schedule actor. Single-block schedules (the common case) delegate every
// request, so the block answers the caller directly; listings and stats of several blocks
// are gathered into one reply in block (= seat) order. Internal requests use no timeout:
// every block is linked to its schedule, so a block that dies takes the schedule with it
// and no gather can wait forever on a live schedule.
#include "actors/schedule_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "actors/seat_block_actor.hpp"

namespace concert {

namespace {

struct schedule_state {
  schedule_info info;
  uint32_t first_block_id = 0;
  std::vector<seat_block_actor> blocks;
  std::vector<seat_no> first_seats;  ///< first seat of each block, ascending
  std::vector<uint32_t> available;   ///< per block, as last reported
};

using schedule_pointer = schedule_actor::stateful_pointer<schedule_state>;

/// Replies collected from several blocks, delivered once the last one arrives.
template <class Part, class... Reply>
struct gather {
  gather(size_t n, caf::typed_response_promise<Reply...> p) : parts(n), pending(n), rp(p) {}
  std::vector<Part> parts;
  size_t pending;
  caf::typed_response_promise<Reply...> rp;
};

/// The block owning `seat`, or -1.
int block_index_of_seat(const schedule_state& st, seat_no seat) {
  if (seat < 1 || seat > st.info.total_seats) return -1;
  auto it = std::upper_bound(st.first_seats.begin(), st.first_seats.end(), seat);
  return static_cast<int>(it - st.first_seats.begin()) - 1;
}

/// The block that issued `rid`, or -1.
int block_index_of_rid(const schedule_state& st, reservation_id rid) {
  auto b = block_of(rid);
  if (b < st.first_block_id || b - st.first_block_id >= st.blocks.size()) return -1;
  return static_cast<int>(b - st.first_block_id);
}

caf::result<code, std::vector<seat_info>> list_seats(schedule_pointer self, bool all) {
  auto& blocks = self->state.blocks;
  if (blocks.size() == 1) return self->delegate(blocks[0], seats_atom::value, all);
  auto g = std::make_shared<gather<std::vector<seat_info>, code, std::vector<seat_info>>>(
      blocks.size(), self->make_response_promise<code, std::vector<seat_info>>());
  for (size_t i = 0; i < blocks.size(); ++i)
    self->request(blocks[i], caf::infinite, seats_atom::value, all)
        .then(
            [g, i](code, std::vector<seat_info>& seats) {
              g->parts[i] = std::move(seats);
              if (--g->pending > 0) return;
              std::vector<seat_info> out;
              for (auto& p : g->parts) out.insert(out.end(), p.begin(), p.end());
              g->rp.deliver(code::ok, std::move(out));
            },
            [g](caf::error& err) { g->rp.deliver(std::move(err)); });
  return g->rp;
}

caf::result<seat_stats> sum_stats(schedule_pointer self) {
  auto& blocks = self->state.blocks;
  if (blocks.size() == 1) return self->delegate(blocks[0], stats_atom::value);
  auto g = std::make_shared<gather<seat_stats, seat_stats>>(
      blocks.size(), self->make_response_promise<seat_stats>());
  for (size_t i = 0; i < blocks.size(); ++i)
    self->request(blocks[i], caf::infinite, stats_atom::value)
        .then(
            [g, i](seat_stats s) {
              g->parts[i] = s;
              if (--g->pending > 0) return;
              seat_stats sum;
              for (const auto& p : g->parts) sum += p;
              g->rp.deliver(sum);
            },
            [g](caf::error& err) { g->rp.deliver(std::move(err)); });
  return g->rp;
}

/// Routes a payment step to the block that issued the reservation.
template <class Atom>
caf::result<code> route_payment(schedule_pointer self, Atom step, user_id user,
                                reservation_id rid) {
  auto i = block_index_of_rid(self->state, rid);
  if (i < 0) return code::reservation_not_found;
  return self->delegate(self->state.blocks[i], step, user, rid);
}

schedule_actor::behavior_type schedule_fn(schedule_pointer self, schedule_def def,
                                          std::vector<seat_block> blocks, time_base tb,
                                          store_actor writer) {
  auto& st = self->state;
  st.info = {def.id, def.concert, def.starts_at, 0, 0};
  st.first_block_id = blocks.front().params().block_id;
  seat_count_listener listener = caf::actor_cast<schedule_actor>(self);
  for (auto& b : blocks) {
    st.first_seats.push_back(b.first_seat());
    st.available.push_back(b.available());
    st.info.total_seats += b.size();
    auto index = static_cast<uint32_t>(st.blocks.size());
    st.blocks.push_back(
        spawn_seat_block(self->system(), std::move(b), listener, index, tb, writer));
    self->link_to(st.blocks.back());
  }
  return {
      [=](info_atom) {
        auto info = self->state.info;
        const auto& a = self->state.available;
        info.available_seats = std::accumulate(a.begin(), a.end(), uint32_t{0});
        return info;
      },
      [=](seats_atom, bool all) { return list_seats(self, all); },
      [=](hold_atom, user_id user, seat_no seat) -> caf::result<code, reservation> {
        auto i = block_index_of_seat(self->state, seat);
        if (i < 0) return {code::seat_not_found, reservation{}};
        return self->delegate(self->state.blocks[i], hold_atom::value, user, seat);
      },
      [=](lock_atom a, user_id user, reservation_id rid) {
        return route_payment(self, a, user, rid);
      },
      [=](sell_atom a, user_id user, reservation_id rid) {
        return route_payment(self, a, user, rid);
      },
      [=](unlock_atom a, user_id user, reservation_id rid) {
        return route_payment(self, a, user, rid);
      },
      [=](stats_atom) { return sum_stats(self); },
      [=](avail_atom, uint32_t index, uint32_t count) {
        if (index < self->state.available.size()) self->state.available[index] = count;
      },
  };
}

/// The REQUIRES of spawn_schedule, as an exception for the spawning code.
void check_blocks(const schedule_def& def, const std::vector<seat_block>& blocks) {
  if (blocks.empty()) throw std::invalid_argument("schedule without seat blocks");
  seat_no next_seat = 1;
  uint32_t next_id = blocks.front().params().block_id;
  for (const auto& b : blocks) {
    if (b.first_seat() != next_seat || b.params().block_id != next_id ||
        b.params().schedule != def.id)
      throw std::invalid_argument("seat blocks of schedule " + std::to_string(def.id) +
                                  " are not contiguous");
    next_seat = b.last_seat() + 1;
    ++next_id;
  }
}

}  // namespace

schedule_actor spawn_schedule(caf::actor_system& sys, const schedule_def& def,
                              std::vector<seat_block> blocks, time_base tb, store_actor writer) {
  check_blocks(def, blocks);
  auto header = def;
  header.prices.clear();  // the blocks carry the prices
  return sys.spawn(schedule_fn, std::move(header), std::move(blocks), tb, std::move(writer));
}

}  // namespace concert
