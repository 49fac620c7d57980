// Behavior of the queue gate: a thin shell around one queue_line. Every message first
// brings the line up to the actor clock's now, then does its part, then makes sure a
// tick is pending at the line's next due event, so admissions, TTL expiries and idle
// drops happen on time even when nobody asks. Tokens are signed and checked here.
#include "actors/gate_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <set>

#include "actors/queue_line.hpp"
#include "actors/token_codec.hpp"

namespace concert {

namespace {

struct gate_state {
  queue_line line;
  token_codec codec;
  time_base tb;
  /// Times of the tick messages still in flight, earliest first. A tick cannot be
  /// cancelled, so one is only added when it is earlier than every pending one.
  std::set<time_us> ticks;
  const char* name = "gate";
};

using gate_pointer = gate_actor::stateful_pointer<gate_state>;

queue_line_config line_config(const gate_config& cfg) {
  queue_line_config c;
  c.max_active = static_cast<uint64_t>(std::max<int64_t>(cfg.max_active, 0));
  c.admit_per_second = std::max(cfg.admit_per_second, 0.0);
  c.active_ttl = cfg.active_ttl;
  c.waiting_idle = cfg.waiting_idle;
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

caf::result<code, token_view> on_issue(gate_pointer self, user_id user) {
  auto now = catch_up(self);
  auto ticket = self->state.line.issue(user, now);
  arm(self, now);
  if (!ticket) return {code::invalid_request, token_view{}};
  ticket->view.token = self->state.codec.encode(ticket->seq, user);
  return {ticket->created ? code::created : code::ok, std::move(ticket->view)};
}

caf::result<code, token_view> on_poll(gate_pointer self, const std::string& token) {
  auto now = catch_up(self);
  auto claims = self->state.codec.decode(token);
  if (!claims) return {code::token_invalid, token_view{}};
  token_view view;
  auto c = self->state.line.poll(claims->seq, claims->user, now, view);
  arm(self, now);
  if (c != code::ok) return {c, token_view{}};
  view.token = token;
  return {code::ok, std::move(view)};
}

caf::result<code, user_id> on_check(gate_pointer self, const std::string& token) {
  auto now = catch_up(self);
  auto claims = self->state.codec.decode(token);
  if (!claims) return {code::token_invalid, user_id{0}};
  auto c = self->state.line.check(claims->seq, claims->user, now);
  arm(self, now);
  return {c, claims->user};
}

caf::result<code> on_leave(gate_pointer self, const std::string& token) {
  auto now = catch_up(self);
  auto claims = self->state.codec.decode(token);
  if (!claims) return code::token_invalid;
  auto c = self->state.line.leave(claims->seq, claims->user, now);
  arm(self, now);
  return c;
}

caf::result<code> on_end(gate_pointer self, user_id user) {
  auto now = catch_up(self);
  auto c = self->state.line.end_user(user, now);
  arm(self, now);
  return c;
}

gate_actor::behavior_type gate(gate_pointer self, gate_config cfg, time_base tb) {
  self->state.line = queue_line{line_config(cfg)};
  self->state.codec = token_codec{cfg.token_key};
  self->state.tb = tb;
  return {
      [=](issue_atom, user_id user) { return on_issue(self, user); },
      [=](poll_atom, const std::string& token) { return on_poll(self, token); },
      [=](check_atom, const std::string& token) { return on_check(self, token); },
      [=](leave_atom, const std::string& token) { return on_leave(self, token); },
      [=](end_atom, user_id user) { return on_end(self, user); },
      [=](stats_atom) -> caf::result<gate_stats> {
        auto now = catch_up(self);
        arm(self, now);
        return self->state.line.stats();
      },
      [=](tick_atom) { arm(self, catch_up(self)); },
  };
}

}  // namespace

gate_actor spawn_gate(caf::actor_system& sys, gate_config cfg, time_base tb) {
  return sys.spawn(gate, std::move(cfg), tb);
}

}  // namespace concert
