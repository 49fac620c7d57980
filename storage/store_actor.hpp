// The group-commit writer: one actor through which every domain actor writes. It gathers
// the write batches of many actors into one synced RocksDB write and replies to each
// writer only after the write holding its batch is durable, so "acknowledged" always
// means "on disk". It is not a cache and not a query engine: reads go to the store.
//
// Reads: call `store::get` directly (RocksDB is thread-safe; a blocking point read of a
// few microseconds is fine inside an actor), or `get_atom` here when only a handle to
// this actor is at hand. Both see committed data only; a write is visible once acked.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "actors/messages.hpp"
#include "storage/store.hpp"

namespace concert {

/// Apply a write batch durably.
using write_atom = caf::atom_constant<caf::atom("write")>;
/// Internal timer of the store actor: the end of a linger (see store_actor_config).
using flush_atom = caf::atom_constant<caf::atom("flush")>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_op& x) {
  return f(caf::meta::type_name("write_op"), x.fam, x.erase, x.key, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_batch& x) {
  return f(caf::meta::type_name("write_batch"), x.ops);
}

/// How writes reach the disk. Both are durable: a write is acked only after an fsync
/// of the write-ahead log that covers it.
enum class commit_mode : uint8_t {
  fsync_each,  ///< one synced RocksDB write per batch, in arrival order
  group,       ///< many batches per synced write: flush when the mailbox is empty or a cap is hit
};

struct store_actor_config {
  commit_mode mode = commit_mode::group;
  size_t max_batch_writes = 256;             ///< flush once this many batches wait
  size_t max_batch_bytes = size_t{4} << 20;  ///< ... or once they hold this many bytes
  /// Group mode, when the mailbox runs dry: if the previous flush acked at least
  /// `linger_min_writers` writers and some of them have not written again yet, wait up
  /// to this long for them before flushing (0: never wait). Writers that wait for their
  /// ack before writing again otherwise split into two cohorts that alternate between
  /// fsyncs, halving throughput on a slow disk. The wait ends as soon as they are all
  /// back, so steady closed-loop load never waits the full time; a lone writer never waits.
  /// Under the deterministic test scheduler the linger is off (virtual time moves only
  /// when a test moves it, so a `sched.run()` would leave writes waiting), unless
  /// `linger_in_virtual_time` is set (tests of the linger itself).
  caf::timespan max_linger = std::chrono::milliseconds(1);
  size_t linger_min_writers = 8;
  bool linger_in_virtual_time = false;
  /// false only for simulations and benchmarks that do not need power-loss safety: acks
  /// then survive a process crash (the OS has the bytes) but not a power cut.
  bool sync = true;
  /// Run on an own thread, so a slow fsync never blocks a scheduler worker. Never under
  /// the deterministic test scheduler (a detached actor there is a data race).
  bool detached = false;
};

/// Counters for tests, metrics and benchmarks.
struct store_stats {
  uint64_t writes_acked = 0;     ///< batches acknowledged durable
  uint64_t writes_failed = 0;    ///< batches answered with an error
  uint64_t flushes = 0;          ///< successful synced RocksDB writes
  uint64_t largest_flush = 0;    ///< most batches in one flush
  uint64_t lingers = 0;          ///< flushes that waited for returning writers
  uint64_t linger_timeouts = 0;  ///< ... of which ended by the timer, not by their return
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_stats& x) {
  return f(caf::meta::type_name("store_stats"), x.writes_acked, x.writes_failed, x.flushes,
           x.largest_flush, x.lingers, x.linger_timeouts);
}

using store_actor = caf::typed_actor<
    /// Applies the batch atomically (all ops or none, in order) and replies, once it is
    /// durable, with the number of the flush that wrote it (1, 2, ...: batches flushed
    /// together share it). An empty batch is a barrier: acked once every batch sent
    /// before it is durable. Errors: a store_errc (category "store"); after the first
    /// failed flush every later write fails too (fail-stop: the owner should exit).
    caf::replies_to<write_atom, write_batch>::with<uint64_t>,
    /// Committed value of a key: (true, value), or (false, "") when absent.
    caf::replies_to<caf::get_atom, family, std::string>::with<bool, std::string>,
    caf::replies_to<stats_atom>::with<store_stats>,
    /// Internal: the linger timer (its argument names the linger it ends).
    caf::reacts_to<flush_atom, uint64_t>>;

/// A caf::error of category "store" for this kind (not for store_errc::ok).
caf::error make_error(store_errc e);
/// The same, with a message for humans as context.
caf::error make_error(store_errc e, std::string context);
/// Translates a failed status (kind and message) into a caf::error.
caf::error to_error(const status& st);
/// Lets `sys.render(err)` print store errors as "store: <kind>: <message>".
void add_store_error_category(caf::actor_system_config& cfg);

/// Spawns the writer over `db` (shared: reads may go to it directly meanwhile).
store_actor spawn_store(caf::actor_system& sys, std::shared_ptr<kv_store> db,
                        store_actor_config cfg = {});

}  // namespace concert
