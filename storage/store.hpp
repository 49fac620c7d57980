// The one RocksDB database under --data-dir: opening (with lock, schema and corruption
// checks), atomic batched writes across column families, point reads, prefix scans for
// recovery, and online backup (checkpoint) with verify and restore. Plain C++ and
// RocksDB, no CAF: the group-commit actor in store_actor.hpp sits on top of it.
//
// Thread safety: every member of `store` may be called from any thread at the same
// time (RocksDB's DB is thread-safe); the store must outlive every caller.
// Errors: RocksDB statuses are translated here into `status` values; nothing asserts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace concert {

// ---- results ----

/// What went wrong, in the kinds a caller reacts to differently.
enum class store_errc : uint8_t {
  ok = 0,
  locked,        ///< another process (or another store in this one) has the directory open
  newer_schema,  ///< written by a newer version of this program: refuse, never downgrade
  corrupt,       ///< not a usable database: damaged files, or not ours (refuse, never wipe)
  io,            ///< the disk or the OS failed (full disk, permissions, fsync error)
  invalid,       ///< a usage error: unknown family, restore onto a non-empty directory
};

/// Stable lower-case name of an error kind ("locked", ...).
std::string_view store_errc_name(store_errc e);

/// Success, or an error kind with a message for humans (the path, RocksDB's words).
class [[nodiscard]] status {
 public:
  status() = default;
  status(store_errc kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  bool ok() const { return kind_ == store_errc::ok; }
  store_errc kind() const { return kind_; }
  const std::string& message() const { return message_; }
  /// "ok", or "<kind>: <message>".
  std::string to_string() const;

 private:
  store_errc kind_ = store_errc::ok;
  std::string message_;
};

/// A value or a failed status (C++17 stand-in for std::expected).
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  /// REQUIRES: !error.ok() (an ok status carries no value).
  result(status error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  /// REQUIRES: ok().
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  /// The error; an ok status when ok().
  status error() const { return ok() ? status{} : std::get<1>(v_); }

 private:
  std::variant<T, status> v_;
};

// ---- writes ----

/// Column families. The numeric values index `store`'s handles and travel in messages.
enum class family : uint8_t {
  meta = 0,  ///< schema version, token key, counters (keys: ASCII names, see keys.hpp)
  catalog,   ///< concerts and schedules
  seats,     ///< seat (block) state by schedule and seat
  wallets,   ///< one encoded wallet per user
  intents,   ///< open payment intents by reservation id
  gate,      ///< queue tokens by sequence number
};
inline constexpr size_t family_count = 6;
/// The RocksDB column family name ("meta", "catalog", ...).
std::string_view family_name(family f);

/// One put or delete.
struct write_op {
  family fam = family::meta;
  bool erase = false;  ///< true: delete `key` (value unused)
  std::string key;
  std::string value;
};

/// Puts and deletes across families, applied atomically and in order (a later op on the
/// same key wins). One command of a domain actor = one batch.
struct write_batch {
  std::vector<write_op> ops;

  void put(family f, std::string key, std::string value) {
    ops.push_back({f, false, std::move(key), std::move(value)});
  }
  void erase(family f, std::string key) { ops.push_back({f, true, std::move(key), {}}); }
  bool empty() const { return ops.empty(); }
  size_t size() const { return ops.size(); }
  /// Key and value bytes in this batch (for batch size caps).
  size_t bytes() const;
};

// ---- the seam the store actor writes through ----

/// The two operations the group-commit actor needs; tests substitute a failing fake.
class kv_store {
 public:
  virtual ~kv_store() = default;
  /// Applies every op atomically. With `sync` it returns only after the write-ahead log
  /// is fsynced (durable against power loss); without, after the OS has the bytes
  /// (durable against a process crash only).
  virtual status apply(const write_batch& batch, bool sync) = 0;
  /// The committed value of `key`, or nothing when absent.
  virtual result<std::optional<std::string>> get(family f, std::string_view key) const = 0;
};

/// Tuning; the defaults suit the server.
struct store_options {
  size_t block_cache_bytes = size_t{64} << 20;   ///< shared by all families
  size_t write_buffer_bytes = size_t{32} << 20;  ///< memtable size per family
};

/// The RocksDB database. Create with `open`; closed by the destructor.
class store final : public kv_store {
 public:
  /// The layout version this program writes and reads (meta key "schema_version").
  static constexpr uint32_t schema_version = 1;

  /// Opens the database in `dir`, creating it (and `dir`) when `dir` is missing or empty.
  /// Refuses, and changes nothing: a directory held by another open store (locked),
  /// one from a newer schema (newer_schema), a damaged one or a non-empty directory that
  /// is not a store of ours (corrupt). It never starts empty on top of old data.
  static result<std::unique_ptr<store>> open(const std::string& dir, const store_options& opt = {});

  ~store() override;
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  status apply(const write_batch& batch, bool sync) override;
  result<std::optional<std::string>> get(family f, std::string_view key) const override;

  /// Called for each record in key order; return false to stop the scan early.
  using scan_fn = std::function<bool(std::string_view key, std::string_view value)>;
  /// Visits every committed record of `f` whose key starts with `prefix` (all of them
  /// for an empty prefix), in key order, without filling the block cache. For recovery.
  status scan(family f, std::string_view prefix, const scan_fn& fn) const;

  /// Online, consistent copy of the whole database into `dir` (which must not exist; its
  /// parent must). Writers may go on meanwhile; the copy holds every write acknowledged
  /// before the call. Files are hard-linked when `dir` is on the same file system.
  /// `sequence`, when given, receives a RocksDB sequence number the copy holds (every
  /// write up to it is in the copy; later ones may be too): a label for logs and humans.
  status checkpoint(const std::string& dir, uint64_t* sequence = nullptr);

  /// Opens `dir` read-only (no lock, no change), checks the schema version and every
  /// block checksum. Use it on a backup before trusting it.
  static status verify(const std::string& dir);
  /// Copies the verified backup `backup_dir` to `data_dir`, which must be missing or
  /// empty (a restore never overwrites data). The copy is fsynced, then renamed into
  /// place, then verified, so a crash mid-restore leaves no half database at `data_dir`.
  static status restore(const std::string& backup_dir, const std::string& data_dir);

  const std::string& dir() const { return dir_; }

 private:
  struct handles;
  store(std::string dir, std::unique_ptr<handles> h);
  rocksdb::ColumnFamilyHandle* cf(family f) const;

  std::string dir_;
  std::unique_ptr<handles> h_;
};

}  // namespace concert
