// Behavior of the catalog actor: it answers concert questions from its own tables and
// delegates every seat operation to the schedule that owns the seat (hold, listings) or
// whose block issued the reservation id (lock, sell, unlock), so replies go straight from
// the block to the caller. Schedules are linked to it: one exit stops the whole tree.
#include "actors/catalog_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>

#include "actors/persistent_spawn.hpp"
#include "actors/schedule_actor.hpp"

namespace concert {

namespace {

struct catalog_state {
  std::map<concert_id, concert_info> concerts;
  std::map<concert_id, std::vector<schedule_id>> by_concert;  ///< ordered by start, then id
  std::map<schedule_id, schedule_actor> schedules;
  std::vector<schedule_actor> by_block;  ///< owner of block id b at index b - 1
};

using catalog_pointer = catalog_actor::stateful_pointer<catalog_state>;

/// Replies collected from several schedules, delivered once the last one arrives.
template <class Part, class... Reply>
struct gather {
  gather(size_t n, caf::typed_response_promise<Reply...> p) : parts(n), pending(n), rp(p) {}
  std::vector<Part> parts;
  size_t pending;
  caf::typed_response_promise<Reply...> rp;
};

const schedule_actor* find_schedule(const catalog_state& st, schedule_id id) {
  auto it = st.schedules.find(id);
  return it == st.schedules.end() ? nullptr : &it->second;
}

/// Schedule ids of every concert, ordered by start time then id.
std::map<concert_id, std::vector<schedule_id>> index_by_concert(const catalog_data& data) {
  std::vector<const schedule_def*> defs;
  for (const auto& s : data.schedules) defs.push_back(&s);
  std::stable_sort(defs.begin(), defs.end(), [](auto* a, auto* b) {
    return a->starts_at != b->starts_at ? a->starts_at < b->starts_at : a->id < b->id;
  });
  std::map<concert_id, std::vector<schedule_id>> out;
  for (const auto& c : data.concerts) out[c.id];
  for (auto* d : defs) out[d->concert].push_back(d->id);
  return out;
}

caf::result<code, std::vector<schedule_info>> list_schedules(catalog_pointer self,
                                                             concert_id concert) {
  auto it = self->state.by_concert.find(concert);
  if (it == self->state.by_concert.end())
    return {code::concert_not_found, std::vector<schedule_info>{}};
  const auto& ids = it->second;
  if (ids.empty()) return {code::ok, std::vector<schedule_info>{}};
  auto g = std::make_shared<gather<schedule_info, code, std::vector<schedule_info>>>(
      ids.size(), self->make_response_promise<code, std::vector<schedule_info>>());
  for (size_t i = 0; i < ids.size(); ++i)
    self->request(self->state.schedules.at(ids[i]), caf::infinite, info_atom::value)
        .then(
            [g, i](schedule_info info) {
              g->parts[i] = info;
              if (--g->pending == 0) g->rp.deliver(code::ok, std::move(g->parts));
            },
            [g](caf::error& err) { g->rp.deliver(std::move(err)); });
  return g->rp;
}

caf::result<seat_stats> sum_stats(catalog_pointer self) {
  const auto& all = self->state.schedules;
  if (all.empty()) return seat_stats{};
  auto g = std::make_shared<gather<seat_stats, seat_stats>>(
      all.size(), self->make_response_promise<seat_stats>());
  size_t i = 0;
  for (const auto& entry : all)
    self->request(entry.second, caf::infinite, stats_atom::value)
        .then(
            [g, i = i++](seat_stats s) {
              g->parts[i] = s;
              if (--g->pending > 0) return;
              seat_stats sum;
              for (const auto& p : g->parts) sum += p;
              g->rp.deliver(sum);
            },
            [g](caf::error& err) { g->rp.deliver(std::move(err)); });
  return g->rp;
}

/// Routes a payment step by the block id inside the reservation id.
template <class Atom>
caf::result<code> route_payment(catalog_pointer self, Atom step, user_id user, reservation_id rid) {
  auto b = block_of(rid);
  const auto& owners = self->state.by_block;
  if (b == 0 || b > owners.size()) return code::reservation_not_found;
  return self->delegate(owners[b - 1], step, user, rid);
}

/// Spawns and links one schedule actor per schedule over its blocks (consecutive in
/// `blocks`, which follow the schedules' order).
void spawn_schedules(catalog_pointer self, const catalog_data& data, std::vector<seat_block> blocks,
                     time_base tb, const store_actor& writer) {
  auto& st = self->state;
  size_t next = 0;
  for (const auto& def : data.schedules) {
    std::vector<seat_block> own;
    while (next < blocks.size() && blocks[next].params().schedule == def.id)
      own.push_back(std::move(blocks[next++]));
    auto n = own.size();
    auto sched = spawn_schedule(self->system(), def, std::move(own), tb, writer);
    self->link_to(sched);
    st.schedules.emplace(def.id, sched);
    st.by_block.insert(st.by_block.end(), n, sched);
  }
}

catalog_actor::behavior_type catalog_fn(catalog_pointer self, catalog_data data,
                                        std::vector<seat_block> blocks, time_base tb,
                                        store_actor writer) {
  for (const auto& c : data.concerts) self->state.concerts.emplace(c.id, c);
  self->state.by_concert = index_by_concert(data);
  spawn_schedules(self, data, std::move(blocks), tb, writer);
  return {
      [=](concerts_atom) {
        std::vector<concert_info> out;
        for (const auto& entry : self->state.concerts) out.push_back(entry.second);
        return out;
      },
      [=](schedules_atom, concert_id concert) { return list_schedules(self, concert); },
      [=](seats_atom, schedule_id id, bool all) -> caf::result<code, std::vector<seat_info>> {
        auto* sched = find_schedule(self->state, id);
        if (sched == nullptr) return {code::schedule_not_found, std::vector<seat_info>{}};
        return self->delegate(*sched, seats_atom::value, all);
      },
      [=](hold_atom, user_id user, schedule_id id, seat_no seat) -> caf::result<code, reservation> {
        auto* sched = find_schedule(self->state, id);
        if (sched == nullptr) return {code::schedule_not_found, reservation{}};
        return self->delegate(*sched, hold_atom::value, user, seat);
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
  };
}

}  // namespace

std::vector<seat_block> catalog_blocks(const catalog_data& data, const seats_config& cfg) {
  if (auto problem = validate(data); !problem.empty())
    throw std::invalid_argument("invalid catalog: " + problem);
  if (cfg.seats_per_block == 0) throw std::invalid_argument("seats_per_block must be >= 1");
  std::vector<seat_block> all;
  for (const auto& def : data.schedules) {
    auto first_block = static_cast<uint32_t>(all.size() + 1);
    auto blocks = split_into_blocks(def.id, def.prices, first_block, cfg.seats_per_block,
                                    cfg.hold_time, cfg.pay_timeout);
    for (auto& b : blocks) all.push_back(std::move(b));
  }
  return all;
}

catalog_actor spawn_catalog(caf::actor_system& sys, const catalog_data& data, seats_config cfg,
                            time_base tb) {
  return sys.spawn(catalog_fn, data, catalog_blocks(data, cfg), tb, store_actor{});
}

catalog_actor spawn_catalog_persistent(caf::actor_system& sys, const catalog_data& data,
                                       std::vector<seat_block> blocks, time_base tb,
                                       store_actor writer) {
  return sys.spawn(catalog_fn, data, std::move(blocks), tb, std::move(writer));
}

}  // namespace concert
