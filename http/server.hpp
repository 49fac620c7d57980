// The I/O layer: an asynchronous Boost.Beast HTTP/1.1 server. It reads one request at a
// time per connection (keep-alive and pipelining are safe: responses leave in request
// order), enforces the limits (body, header, timeouts, connection cap), turns each
// request into a command with the pure parse_request and hands commands to a handler.
// It knows nothing of actors: the handler (dispatch.hpp in production) answers later,
// from any thread, and the answer is posted back to the connection's strand.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/metrics.hpp"
#include "http/request.hpp"

namespace concert::http {

struct server_options {
  std::string address = "127.0.0.1";
  uint16_t port = 0;                      ///< 0: the OS picks a free port
  size_t body_bytes_max = 64 * 1024;      ///< larger bodies get 413
  uint32_t header_bytes_max = 16 * 1024;  ///< larger header sections get 431
  /// How long a connection may sit without a complete request header (idle keep-alive
  /// connections and slow senders alike are closed after it).
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds body_timeout{10'000};   ///< to receive a body once its header is in
  std::chrono::milliseconds write_timeout{10'000};  ///< to write one response
  std::chrono::milliseconds drain_timeout{10'000};  ///< on stop, for in-flight requests
  size_t connections_max = 4096;  ///< more concurrent connections get 503 and are closed
  bool access_log = false;        ///< one stderr line per answered request
  /// Exactly one thread runs the io_context: connections need no strand, and an answer
  /// that arrives on that thread is written at once instead of after another hop.
  bool single_io_thread = false;
};

/// Answers one command: calls `done` exactly once, from any thread, possibly later.
using responder = std::function<void(response_out)>;
using command_handler = std::function<void(command, responder)>;

class server {
 public:
  /// Nothing runs until start(); the io_context must outlive every handler's `done`.
  server(boost::asio::io_context& ioc, server_options opts, metrics& m, command_handler h);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds, listens and starts accepting; returns the bound port. Throws
  /// boost::system::system_error when the address cannot be bound.
  uint16_t start();

  /// Graceful stop (thread-safe): no new connections, idle connections close, busy
  /// ones finish their current request. `on_drained` runs on an io thread once no
  /// connection is left, or when drain_timeout forces the rest closed.
  void stop(std::function<void()> on_drained);

  /// Closes the acceptor and every connection now (thread-safe; for teardown). From
  /// here on the handler is never called again: requests still read get 503.
  void abort();

  /// Drops the command handler and whatever it holds (actor handles). Call only when
  /// no thread runs the io_context; later requests get 503.
  void release_handler();

  /// Open connections right now.
  size_t connections() const;

  struct state;  ///< implementation detail (server.cpp), shared with the connections

 private:
  std::shared_ptr<state> st_;
};

}  // namespace concert::http
