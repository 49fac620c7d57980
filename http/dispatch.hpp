// The bridge from the HTTP edge into the actors. Each command gets a one-shot
// event-based actor that asks the gate (for guarded routes), then the catalog or the
// wallet registry, with a finite timeout, renders the reply with render.hpp and hands
// it to the responder; then it ends. Nothing here blocks: io threads never wait on an
// actor (caf-0.17.md "Bridging"). A timeout or a dead actor answers 503.
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

/// Gathers the polls (GET /queue/tokens/me) read in one round of an io_context and
/// sends them to the gate as one message: the polling hot path then crosses from the
/// io thread to CAF and back once per round instead of once per request.
class poll_batcher;

/// A batcher whose flushes run on `ioc` (the io_context the server runs on).
std::shared_ptr<poll_batcher> make_poll_batcher(boost::asio::io_context& ioc);

/// Answers the polls still gathered with 503 and sends no more to the gate; later polls
/// get 503 at once. Call before the actor system stops.
void close(poll_batcher& b);

struct dispatch_context {
  caf::actor_system& sys;
  system_handles actors;
  metrics& stats;
  /// Bound on each actor request; past it the client gets 503 SERVICE_UNAVAILABLE.
  std::chrono::milliseconds timeout{5000};
  /// Null: each poll is a request of its own.
  std::shared_ptr<poll_batcher> polls = nullptr;
};

/// Answers `cmd` through `done` (called once, from a CAF worker or, for answers that
/// need no actor, right here). `ctx` is copied; what it refers to must outlive the
/// call's completion.
void dispatch(const dispatch_context& ctx, command cmd, responder done);

}  // namespace concert::http
