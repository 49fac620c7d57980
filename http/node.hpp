// A whole concertd in one object: the actor system (real scheduler), the Beast server
// on its io threads, and the orderly shutdown between them. concertd's main and the
// end-to-end tests both start servers through this, so the tests run the real thing.
// No CAF or Boost in this header: tests that include it compile quickly.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/catalog.hpp"
#include "actors/runtime.hpp"
#include "http/server.hpp"

namespace concert::http {

struct node_options {
  system_settings system;  ///< gate, seats, wallets, seed
  catalog_data catalog;    ///< what is on sale (the demo catalog with --demo-catalog)
  /// The store's directory (created if missing; state is recovered from it and every
  /// acknowledged change is durable there). "": everything in memory (tests).
  std::string data_dir;
  /// How acknowledged writes reach the disk; both modes fsync before the ack
  /// (docs/storage.md "Durability modes").
  commit_mode durability = commit_mode::group;
  /// Non-empty: serve `POST /admin/v1/backup` to `Authorization: Bearer <admin_token>`
  /// (online backup of the store). Empty: that route answers 404.
  std::string admin_token;
  server_options server;
  unsigned io_threads = 1;   ///< Beast io threads
  unsigned caf_threads = 0;  ///< 0: the usable CPUs minus io threads, at least 1
  std::chrono::milliseconds actor_timeout{5000};  ///< per actor request; then 503
};

class node {
 public:
  /// Starts everything and accepts connections on return. Throws std::exception when
  /// the catalog is invalid, the data directory cannot be made or the port is taken.
  explicit node(node_options opts);
  /// Graceful stop when still running.
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  uint16_t port() const;
  const node_options& options() const;

  /// Starts a graceful stop (thread-safe, idempotent): stop accepting, finish in-flight
  /// requests (bounded by the drain timeout), then the io threads end.
  void request_stop();
  /// Blocks until the io threads ended, then stops the actors and waits for them.
  void wait();
  /// request_stop() and wait().
  void stop();
  /// SIGINT/SIGTERM start a graceful stop; a second signal stops at once.
  void stop_on_signals();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace concert::http
