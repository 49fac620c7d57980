// The group-commit behaviour (caf-0.17.md §7, "flush when the mailbox is empty or at K
// entries"): batches accumulate while more messages wait, and one synced write covers
// them all. Writers' promises are delivered only after that write returned.
#include "storage/store_actor.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <algorithm>
#include <unordered_set>
#include <vector>

namespace concert {

namespace {

const caf::atom_value store_category = caf::atom("store");

struct store_state {
  std::shared_ptr<kv_store> db;
  store_actor_config cfg;
  write_batch pending;  // the ops of every waiting batch, in arrival order
  size_t pending_bytes = 0;
  std::vector<caf::typed_response_promise<uint64_t>> waiters;
  uint64_t flush_no = 0;
  status failed;  // sticky: the first failed flush
  // Linger bookkeeping (see store_actor_config::max_linger).
  std::vector<caf::actor_id> senders;          // of the waiting batches
  std::unordered_set<caf::actor_id> expected;  // acked by the last flush, not back yet
  bool lingering = false;
  uint64_t linger_no = 0;  // names the current linger, so a stale timer is ignored
  store_stats stats;
  static inline const char* name = "concert.store";
};

using store_ptr = store_actor::stateful_pointer<store_state>;

/// One synced write for every waiting batch; then every waiter learns the outcome.
void flush(store_state& s) {
  s.lingering = false;
  if (s.waiters.empty()) return;
  status st = s.failed.ok() ? s.db->apply(s.pending, s.cfg.sync) : s.failed;
  s.pending.ops.clear();
  s.pending_bytes = 0;
  auto waiters = std::move(s.waiters);
  s.waiters.clear();
  s.expected.clear();
  if (st.ok() && s.cfg.mode == commit_mode::group)
    s.expected.insert(s.senders.begin(), s.senders.end());
  if (s.expected.size() < s.cfg.linger_min_writers) s.expected.clear();
  s.senders.clear();
  if (st.ok()) {
    ++s.flush_no;
    ++s.stats.flushes;
    s.stats.writes_acked += waiters.size();
    s.stats.largest_flush = std::max<uint64_t>(s.stats.largest_flush, waiters.size());
    for (auto& w : waiters) w.deliver(s.flush_no);
    return;
  }
  s.failed = st;
  s.stats.writes_failed += waiters.size();
  for (auto& w : waiters) w.deliver(to_error(st));
}

bool cap_reached(const store_state& s) {
  return s.cfg.mode == commit_mode::fsync_each || s.waiters.size() >= s.cfg.max_batch_writes ||
         s.pending_bytes >= s.cfg.max_batch_bytes;
}

/// Called after every message: the last one of a burst closes the batch, unless writers
/// acked by the previous flush are still expected back (then linger, bounded by a timer).
void flush_if_idle(store_ptr self) {
  auto& s = self->state;
  if (s.waiters.empty() || !self->mailbox().empty()) return;
  bool linger = s.cfg.max_linger.count() > 0 && !s.expected.empty();
  if (!linger) {
    flush(s);
    return;
  }
  if (s.lingering) return;
  s.lingering = true;
  ++s.stats.lingers;
  self->delayed_send(self, s.cfg.max_linger, flush_atom::value, ++s.linger_no);
}

void on_linger_timeout(store_ptr self, uint64_t no) {
  auto& s = self->state;
  if (s.lingering && no == s.linger_no) {
    ++s.stats.linger_timeouts;
    flush(s);
    return;
  }
  // A stale timer (its linger ended by a flush) may still be the message that empties
  // the mailbox: like every handler, close the batch then, or its writers would wait.
  flush_if_idle(self);
}

caf::typed_response_promise<uint64_t> on_write(store_ptr self, write_batch& b) {
  auto& s = self->state;
  // Read the sender before make_response_promise, which moves it into the promise.
  caf::actor_id from = self->current_sender() ? self->current_sender()->id() : 0;
  auto rp = self->make_response_promise<uint64_t>();
  if (!s.failed.ok()) {
    ++s.stats.writes_failed;
    rp.deliver(to_error(s.failed));
    return rp;
  }
  s.pending_bytes += b.bytes();
  for (auto& op : b.ops) s.pending.ops.push_back(std::move(op));
  s.waiters.push_back(rp);
  if (from != 0) {
    s.senders.push_back(from);
    s.expected.erase(from);
  }
  if (cap_reached(s))
    flush(s);
  else
    flush_if_idle(self);
  return rp;
}

store_actor::behavior_type store_impl(store_ptr self, std::shared_ptr<kv_store> db,
                                      store_actor_config cfg) {
  self->state.db = std::move(db);
  self->state.cfg = cfg;
  // Writes still waiting when the actor is told to exit are flushed, not dropped: an
  // undelivered promise would leave its writer waiting forever (0.17 has no broken_promise).
  self->set_exit_handler([self](caf::exit_msg& msg) {
    flush(self->state);
    self->quit(msg.reason);
  });
  return {
      [self](write_atom, write_batch& b) { return on_write(self, b); },
      [self](caf::get_atom, family f, const std::string& key) -> caf::result<bool, std::string> {
        auto r = self->state.db->get(f, key);
        flush_if_idle(self);
        if (!r.ok()) return to_error(r.error());
        if (!r.value()) return {false, std::string{}};
        return {true, std::move(*r.value())};
      },
      [self](stats_atom) {
        flush_if_idle(self);
        return self->state.stats;
      },
      [self](flush_atom, uint64_t no) { on_linger_timeout(self, no); },
  };
}

std::string render_store_error(uint8_t code, caf::atom_value, const caf::message& ctx) {
  std::string out = "store: ";
  out += store_errc_name(static_cast<store_errc>(code));
  if (ctx.match_elements<std::string>()) {
    out += ": ";
    out += ctx.get_as<std::string>(0);
  }
  return out;
}

}  // namespace

caf::error make_error(store_errc e) { return {static_cast<uint8_t>(e), store_category}; }

caf::error make_error(store_errc e, std::string context) {
  return {static_cast<uint8_t>(e), store_category, caf::make_message(std::move(context))};
}

caf::error to_error(const status& st) { return make_error(st.kind(), st.message()); }

void add_store_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(store_category, render_store_error);
}

store_actor spawn_store(caf::actor_system& sys, std::shared_ptr<kv_store> db,
                        store_actor_config cfg) {
  bool virtual_time = dynamic_cast<caf::scheduler::test_coordinator*>(&sys.scheduler()) != nullptr;
  if (virtual_time && !cfg.linger_in_virtual_time) cfg.max_linger = caf::timespan{0};
  if (cfg.detached) return sys.spawn<caf::detached>(store_impl, std::move(db), cfg);
  return sys.spawn(store_impl, std::move(db), cfg);
}

}  // namespace concert
