// The bridge from the HTTP edge into the actors. Each command is asked of the gate (for
// guarded routes), then of the catalog or the wallet registry, by one of a few long-lived
// event-based runner actors; the reply is rendered with render.hpp and handed to the responder.
// Nothing here blocks: io threads never wait on an actor (caf-0.17.md "Bridging"). A
// missed deadline or a dead actor answers 503.
#pragma once

#include <caf/fwd.hpp>

#include <chrono>
#include <memory>

#include "actors/runtime.hpp"
#include "http/metrics.hpp"
#include "http/request.hpp"
#include "http/server.hpp"

namespace boost::asio {
class io_context;
}

namespace concert::http {

struct dispatch_context {
  caf::actor_system& sys;
  system_handles actors;
  metrics& stats;
  /// Bound on each request's whole course through the actors; past it the client gets
  /// 503 SERVICE_UNAVAILABLE.
  std::chrono::milliseconds timeout{5000};
};

/// Hands the requests read in one round of an io_context to CAF together: one runner
/// actor (the runners take rounds in turn) runs them all, and the polls (GET /queue/tokens/me, the
/// hot path) go to the gate as one message answered with one post back. The io thread then crosses
/// to CAF and back about once per round instead of once per request.
class bridge;

/// A bridge whose rounds end on `ioc` (the io_context the server runs on); `ctx` must
/// outlive every answer.
std::shared_ptr<bridge> make_bridge(boost::asio::io_context& ioc, dispatch_context ctx);

/// Answers `cmd` through `done`: called once, from a CAF worker, from the io thread, or
/// right here for answers that need no actor.
void dispatch(bridge& b, command cmd, responder done);

/// Answers what is still gathered with 503 and hands nothing more to CAF; later
/// requests get 503 at once. Call before the actor system stops.
void close(bridge& b);

}  // namespace concert::http
