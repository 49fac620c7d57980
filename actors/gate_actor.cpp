// Behavior of the queue gate: a thin shell around one queue_line. Every message first
// brings the line up to the actor clock's now, then does its part, then makes sure a
// tick is pending at the line's next due event, so admissions, TTL expiries and idle
// drops happen on time even when nobody asks. Tokens are signed and checked here.
// With a store, the tokens that changed in a step (issued, admitted, ended) are written
// as one batch and the reply waits for it; poll refreshes are not written. Two replies
// need not wait for every write: a token check waits only when the token itself has an
// unacknowledged write (an unrelated admission's fsync is not its business), and the end
// of a payer's token answers once its write is queued (the wallet's next write follows
// it in the writer's FIFO, and the writer is fail-stop, so that ack covers both).
#include "actors/gate_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

#include "actors/persistent_spawn.hpp"
#include "actors/queue_line.hpp"
#include "actors/record_codec.hpp"
#include "actors/token_codec.hpp"
#include "actors/write_chain.hpp"
#include "storage/keys.hpp"

namespace concert {

namespace {

struct gate_state {
  queue_line line;
  token_codec codec;
  time_base tb;
  /// Times of the tick messages still in flight, earliest first. A tick cannot be
  /// cancelled, so one is only added when it is earlier than every pending one.
  std::set<time_us> ticks;
  write_chain chain;  ///< in memory unless spawned with a writer
  /// Tokens with a write not acknowledged yet, and how many such writes each has.
  std::unordered_map<uint64_t, uint32_t> unsettled;
  uint64_t written_next_seq = 0;   ///< the gate_seq counter as last written
  std::vector<uint64_t> admitted;  ///< admission order (only with log_admissions)
  static inline const char* name = "gate";
};

using gate_pointer = gate_actor::stateful_pointer<gate_state>;

queue_line_config line_config(const gate_config& cfg) {
  queue_line_config c;
  c.max_active = static_cast<uint64_t>(std::max<int64_t>(cfg.max_active, 0));
  c.admit_per_second = std::max(cfg.admit_per_second, 0.0);
  c.active_ttl = cfg.active_ttl;
  c.waiting_idle = cfg.waiting_idle;
  c.max_waiting = cfg.max_waiting;
  return c;
}

/// The line brought up to now; returns now.
time_us catch_up(gate_pointer self) {
  auto now = self->state.tb.now(self->clock());
  self->state.line.advance(now);
  return now;
}

/// Ensures a tick is pending at the line's next due event (a stale tick is harmless:
/// it only brings the line up to date).
void arm(gate_pointer self, time_us now) {
  auto& st = self->state;
  st.ticks.erase(st.ticks.begin(), st.ticks.upper_bound(now));  // those have fired
  auto due = st.line.next_wakeup();
  if (!due) return;
  if (!st.ticks.empty() && *st.ticks.begin() <= *due) return;  // an earlier tick re-arms
  st.ticks.insert(*due);
  self->scheduled_send(self, st.tb.to_clock(*due), tick_atom::value);
}

/// Writes the records of every token that changed since the last call, and the sequence
/// counter when it moved (so a number is never handed out twice across restarts). The
/// changed tokens count as unsettled until the write is acknowledged.
void write_changes(gate_pointer self) {
  auto& st = self->state;
  if (!st.chain.persistent()) return;
  write_batch b;
  auto seqs = st.line.drain_changes();
  for (auto seq : seqs) {
    if (auto t = st.line.token(seq))
      b.put(family::gate, keys::encode_gate_token(seq),
            records::encode_gate_token({t->user, t->active, t->admitted_at}));
    else
      b.erase(family::gate, keys::encode_gate_token(seq));
    ++st.unsettled[seq];
  }
  auto next = st.line.next_sequence();
  if (next != st.written_next_seq) {
    b.put(family::meta, keys::encode_counter(records::gate_seq_counter), keys::be64(next));
    st.written_next_seq = next;
  }
  if (b.empty()) return;
  auto settled = [self, seqs] {
    for (auto seq : seqs) {
      auto i = self->state.unsettled.find(seq);
      if (--i->second == 0) self->state.unsettled.erase(i);
    }
  };
  st.chain.commit(self, std::move(b), settled, [settled](const caf::error&) { settled(); });
}

/// Ends a step: arms the next tick, writes the step's changes and answers once they and
/// every earlier write are durable.
template <class... Ts, class... Vs>
caf::typed_response_promise<Ts...> respond(gate_pointer self, time_us now,
                                           caf::typed_response_promise<Ts...> rp, Vs... values) {
  arm(self, now);
  if (!self->state.chain.persistent()) {
    rp.deliver(std::move(values)...);  // in memory: nothing to wait for, no continuation
    return rp;
  }
  write_changes(self);
  deliver_durable(self, self->state.chain, write_batch{}, rp, std::move(values)...);
  return rp;
}

/// Like respond, but waits only while token `seq` has an unacknowledged write: the answer
/// shows that token alone. `queued_is_enough` answers even then, once the write is queued
/// (the end of a payer's token, see the top of the file). A failed store still answers
/// with its error.
template <class... Ts, class... Vs>
caf::typed_response_promise<Ts...> respond_for(gate_pointer self, time_us now, uint64_t seq,
                                               bool queued_is_enough,
                                               caf::typed_response_promise<Ts...> rp,
                                               Vs... values) {
  auto& st = self->state;
  if (!st.chain.persistent()) return respond(self, now, rp, std::move(values)...);
  arm(self, now);
  write_changes(self);  // this step's own changes count too
  if (!queued_is_enough && st.unsettled.count(seq) != 0)
    deliver_durable(self, st.chain, write_batch{}, rp, std::move(values)...);
  else
    deliver_queued(st.chain, rp, std::move(values)...);
  return rp;
}

/// A step nobody waits for (a tick): its changes are written all the same.
void persist_quietly(gate_pointer self) { write_changes(self); }

caf::typed_response_promise<code, token_view> on_issue(gate_pointer self, user_id user) {
  auto rp = self->make_response_promise<code, token_view>();
  auto now = catch_up(self);
  auto ticket = self->state.line.issue(user, now);
  if (!ticket) {
    // No ticket for a real user means the line is full: busy, come back later (503).
    auto c = user == 0 ? code::invalid_request : code::unavailable;
    return respond(self, now, rp, c, token_view{});
  }
  ticket->view.token = self->state.codec.encode(ticket->seq, user);
  return respond(self, now, rp, ticket->created ? code::created : code::ok,
                 std::move(ticket->view));
}

/// One poll on a line already brought up to `now`.
poll_answer poll_one(gate_pointer self, const std::string& token, time_us now) {
  poll_answer a;
  auto claims = self->state.codec.decode(token);
  if (!claims) {
    a.status = code::token_invalid;
    return a;
  }
  a.status = self->state.line.poll(claims->seq, claims->user, now, a.view);
  if (a.status != code::ok)
    a.view = token_view{};
  else
    a.view.token = token;
  return a;
}

caf::typed_response_promise<code, token_view> on_poll(gate_pointer self, const std::string& token) {
  auto rp = self->make_response_promise<code, token_view>();
  auto now = catch_up(self);
  auto a = poll_one(self, token, now);
  return respond(self, now, rp, a.status, std::move(a.view));
}

caf::typed_response_promise<std::vector<poll_answer>> on_poll_many(
    gate_pointer self, const std::vector<std::string>& tokens) {
  auto rp = self->make_response_promise<std::vector<poll_answer>>();
  auto now = catch_up(self);
  std::vector<poll_answer> answers;
  answers.reserve(tokens.size());
  for (const auto& t : tokens) answers.push_back(poll_one(self, t, now));
  return respond(self, now, rp, std::move(answers));
}

caf::typed_response_promise<code, user_id> on_check(gate_pointer self, const std::string& token) {
  auto rp = self->make_response_promise<code, user_id>();
  auto now = catch_up(self);
  auto claims = self->state.codec.decode(token);
  if (!claims) return respond(self, now, rp, code::token_invalid, user_id{0});
  auto c = self->state.line.check(claims->seq, claims->user, now);
  return respond_for(self, now, claims->seq, false, rp, c, claims->user);
}

caf::typed_response_promise<code> on_leave(gate_pointer self, const std::string& token) {
  auto rp = self->make_response_promise<code>();
  auto now = catch_up(self);
  auto claims = self->state.codec.decode(token);
  if (!claims) return respond(self, now, rp, code::token_invalid);
  return respond(self, now, rp, self->state.line.leave(claims->seq, claims->user, now));
}

caf::typed_response_promise<code> on_end(gate_pointer self, user_id user) {
  auto rp = self->make_response_promise<code>();
  auto now = catch_up(self);
  return respond_for(self, now, 0, true, rp, self->state.line.end_user(user, now));
}

gate_actor::behavior_type gate(gate_pointer self, gate_config cfg, time_base tb,
                               std::optional<gate_recovery> recovered, store_actor writer) {
  auto& st = self->state;
  st.line = queue_line{line_config(cfg)};
  st.codec = token_codec{cfg.token_key};
  st.tb = tb;
  st.chain = write_chain{std::move(writer)};
  if (st.chain.persistent()) st.line.keep_change_log(true);
  st.line.keep_admission_log(cfg.log_admissions);
  if (recovered) {
    auto now = st.tb.now(self->clock());
    st.written_next_seq = recovered->next_seq;
    st.line.restore(std::move(recovered->tokens), recovered->next_seq, now);
    // What lapsed while the gate was down (TTLs, impossible records) is written now.
    catch_up(self);
    arm(self, now);
    persist_quietly(self);
  }
  return {
      [=](issue_atom, user_id user) { return on_issue(self, user); },
      [=](poll_atom, const std::string& token) { return on_poll(self, token); },
      [=](poll_atom, const std::vector<std::string>& tokens) { return on_poll_many(self, tokens); },
      [=](check_atom, const std::string& token) { return on_check(self, token); },
      [=](leave_atom, const std::string& token) { return on_leave(self, token); },
      [=](end_atom, user_id user) { return on_end(self, user); },
      [=](stats_atom) {
        auto rp = self->make_response_promise<gate_stats>();
        auto now = catch_up(self);
        return respond(self, now, rp, self->state.line.stats());
      },
      [=](admissions_atom) {
        arm(self, catch_up(self));  // what is due is admitted (and written) first
        persist_quietly(self);
        auto& st = self->state;
        for (const auto& a : st.line.drain_admissions()) st.admitted.push_back(a.seq);
        return st.admitted;
      },
      [=](tick_atom) {
        arm(self, catch_up(self));
        persist_quietly(self);
      },
  };
}

}  // namespace

gate_actor spawn_gate(caf::actor_system& sys, gate_config cfg, time_base tb) {
  return sys.spawn(gate, std::move(cfg), tb, std::optional<gate_recovery>{}, store_actor{});
}

gate_actor spawn_gate_persistent(caf::actor_system& sys, gate_config cfg, time_base tb,
                                 gate_recovery recovered, store_actor writer) {
  return sys.spawn(gate, std::move(cfg), tb, std::optional<gate_recovery>{std::move(recovered)},
                   std::move(writer));
}

}  // namespace concert
