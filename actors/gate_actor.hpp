// The queue gate: one actor that numbers fans, meters them in (by an active-user cap,
// a rate, or both) and ends their turn on payment, leave, idle or TTL. The line itself
// is the plain class in queue_line.hpp; this actor adds the clock, token signing and
// timers. Tokens are opaque strings bound to their user (see token_codec.hpp).
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <array>
#include <string>
#include <vector>

#include "actors/clock.hpp"
#include "actors/messages.hpp"

namespace concert {

/// The gate's own admission order, for the simulation's exact FIFO check.
using admissions_atom = caf::atom_constant<caf::atom("admlog")>;

using gate_actor = caf::typed_actor<
    /// A token for this user: `created` for a new one, `ok` for the user's live token.
    caf::replies_to<issue_atom, user_id>::with<code, token_view>,
    /// Status of a token; also counts as the waiter's sign of life (idle timeout).
    /// Errors: token_invalid, token_expired.
    caf::replies_to<poll_atom, std::string>::with<code, token_view>,
    /// Many polls in one message, one answer per token in the same order: the HTTP edge
    /// sends the polls of one io round together, so the hot path crosses threads once.
    caf::replies_to<poll_atom, std::vector<std::string>>::with<std::vector<poll_answer>>,
    /// The guard in front of catalog, seat and payment routes: `ok` with the token's
    /// user when ACTIVE; token_invalid, token_expired or queue_not_admitted otherwise.
    /// With a store it waits only while this token has a write in flight.
    caf::replies_to<check_atom, std::string>::with<code, user_id>,
    /// The holder leaves the line or frees its active slot. ok, token_invalid, token_expired.
    caf::replies_to<leave_atom, std::string>::with<code>,
    /// The user's payment completed: its active token ends and the next fan comes in.
    /// ok, or token_expired when the user had no live token. With a store it answers
    /// once the end's write is queued, not durable: the caller's next write to the same
    /// writer lands after it (FIFO, fail-stop), so that write's ack covers both.
    caf::replies_to<end_atom, user_id>::with<code>,
    /// Queue figures (waiting, active, admitted) for metrics and the simulation report.
    caf::replies_to<stats_atom>::with<gate_stats>,
    /// Every admission since this gate started, in the order it made them, as token
    /// sequence numbers (issue order). Empty unless gate_config::log_admissions.
    caf::replies_to<admissions_atom>::with<std::vector<uint64_t>>,
    /// Internal timer: admissions, TTL expiry and idle sweeps at their due time.
    caf::reacts_to<tick_atom>>;

struct gate_config {
  int64_t max_active = 100;     ///< users inside at once; 0 = no cap
  double admit_per_second = 0;  ///< admission rate; 0 = no rate limit
  time_us active_ttl = seconds_us(600);
  time_us waiting_idle = seconds_us(60);
  uint64_t max_waiting = 0;  ///< fans waiting at most; a newcomer beyond gets `unavailable`
  std::array<uint8_t, 32> token_key{};  ///< secret that signs tokens
  /// Keep the admission order for admissions_atom (8 bytes per admission; simulations).
  bool log_admissions = false;
};

gate_actor spawn_gate(caf::actor_system& sys, gate_config cfg, time_base tb);

}  // namespace concert
