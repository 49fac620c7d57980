// RocksDB behind the `store` API: option tuning, the open procedure with its refusals
// (locked, newer schema, corrupt), and backup/verify/restore. Every rocksdb::Status is
// translated into a `status` in `translate` below; nothing here asserts on one.
#include "storage/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <array>
#include <filesystem>

#include "storage/keys.hpp"

namespace fs = std::filesystem;

namespace concert {

namespace {

constexpr std::array<std::string_view, family_count> family_names = {"meta",    "catalog", "seats",
                                                                     "wallets", "intents", "gate"};

status translate(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return {};
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return {store_errc::corrupt, msg};
  // RocksDB reports a held lock as an IOError naming the LOCK file: "lock hold by
  // current process" in this process, "While lock file: <dir>/LOCK" from another one.
  if (s.IsIOError() &&
      (msg.find("/LOCK") != std::string::npos || msg.find("lock hold") != std::string::npos))
    return {store_errc::locked, msg};
  if (s.IsNotSupported()) return {store_errc::corrupt, msg};
  if (s.IsInvalidArgument()) return {store_errc::invalid, msg};
  return {store_errc::io, msg};
}

status fs_error(const std::error_code& ec, const std::string& what) {
  return {store_errc::io, what + ": " + ec.message()};
}

rocksdb::DBOptions db_options(bool create) {
  rocksdb::DBOptions o;
  o.create_if_missing = create;
  o.create_missing_column_families = false;  // families are created explicitly, see open
  o.paranoid_checks = true;
  o.max_background_jobs = 2;  // a 2-core machine: one flush, one compaction
  o.bytes_per_sync = 1 << 20;
  // Rarely written families (meta, catalog) would otherwise pin old WAL files forever.
  o.max_total_wal_size = uint64_t{256} << 20;
  // A torn last record after a crash is dropped; everything synced before it is kept.
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.keep_log_file_num = 3;
  o.max_log_file_size = 1 << 20;
  return o;
}

rocksdb::ColumnFamilyOptions cf_options(const store_options& opt,
                                        const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions c;
  c.write_buffer_size = opt.write_buffer_bytes;
  c.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  // Wallet activation is a point read per user; a bloom filter skips files without it.
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  c.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return c;
}

enum class dir_state { fresh, existing };

/// Missing or empty: a new store. With a CURRENT file: an existing one. Anything else
/// is someone's data that is not a store of ours, and we must not write into it.
result<dir_state> inspect_dir(const std::string& dir) {
  std::error_code ec;
  fs::path p(dir);
  if (!fs::exists(p, ec)) {
    if (ec) return fs_error(ec, "stat " + dir);
    if (!fs::create_directories(p, ec) && ec) return fs_error(ec, "create " + dir);
    return dir_state::fresh;
  }
  if (!fs::is_directory(p, ec)) return status{store_errc::invalid, dir + " is not a directory"};
  if (fs::exists(p / "CURRENT", ec)) return dir_state::existing;
  if (fs::is_empty(p, ec)) return dir_state::fresh;
  if (ec) return fs_error(ec, "list " + dir);
  return status{store_errc::corrupt, dir +
                                         " is not empty but holds no database (no CURRENT "
                                         "file); refusing to start on top of it"};
}

result<std::vector<std::string>> list_families(const std::string& dir) {
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(db_options(false), dir, &names);
  if (!s.ok()) return translate(s, "list column families of " + dir);
  return names;
}

status fsync_path(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {store_errc::io, "open " + p.string() + " for fsync failed"};
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return {store_errc::io, "fsync " + p.string() + " failed"};
  return {};
}

/// fsyncs every file below `dir`, and the directories, so a restored copy is durable.
status sync_tree(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> paths{dir};
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    paths.push_back(it->path());
  if (ec) return fs_error(ec, "list " + dir.string());
  for (const auto& p : paths)
    if (auto st = fsync_path(p); !st.ok()) return st;
  return {};
}

}  // namespace

std::string_view store_errc_name(store_errc e) {
  switch (e) {
    case store_errc::ok:
      return "ok";
    case store_errc::locked:
      return "locked";
    case store_errc::newer_schema:
      return "newer_schema";
    case store_errc::corrupt:
      return "corrupt";
    case store_errc::io:
      return "io";
    case store_errc::invalid:
      return "invalid";
  }
  return "unknown";
}

std::string status::to_string() const {
  if (ok()) return "ok";
  return std::string(store_errc_name(kind_)) + ": " + message_;
}

std::string_view family_name(family f) {
  auto i = static_cast<size_t>(f);
  return i < family_count ? family_names[i] : "unknown";
}

size_t write_batch::bytes() const {
  size_t n = 0;
  for (const auto& op : ops) n += op.key.size() + op.value.size();
  return n;
}

// ---- handles: the open DB and its column families ----

struct store::handles {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> all;                 // every opened family, ours or not
  std::array<rocksdb::ColumnFamilyHandle*, family_count> fam{};  // ours, by `family`

  ~handles() {
    if (db == nullptr) return;
    for (auto* h : all) db->DestroyColumnFamilyHandle(h);
    db->Close().PermitUncheckedError();
    delete db;
  }

  void index_families() {
    fam.fill(nullptr);
    for (auto* h : all)
      for (size_t i = 0; i < family_count; ++i)
        if (h->GetName() == family_names[i]) fam[i] = h;
  }

  bool has_all_families() const {
    for (auto* h : fam)
      if (h == nullptr) return false;
    return true;
  }

  /// The stored schema version; nothing when the key (or the meta family) is absent.
  result<std::optional<uint32_t>> read_version() const {
    auto* meta = fam[static_cast<size_t>(family::meta)];
    if (meta == nullptr) return std::optional<uint32_t>{};
    std::string v;
    auto s = db->Get(rocksdb::ReadOptions(), meta, std::string(keys::schema_version), &v);
    if (s.IsNotFound()) return std::optional<uint32_t>{};
    if (!s.ok()) return translate(s, "read schema version");
    auto version = keys::get_be32(v);
    if (!version || v.size() != 4) return status{store_errc::corrupt, "malformed schema version"};
    return std::optional<uint32_t>{*version};
  }

  result<bool> all_empty() const {
    for (auto* h : all) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
      it->SeekToFirst();
      if (!it->status().ok()) return translate(it->status(), "scan " + h->GetName());
      if (it->Valid()) return false;
    }
    return true;
  }

  /// A database opened with no schema version: a new one (or one whose creation was
  /// interrupted before anything but families was written). Creates our families and
  /// writes the version, synced. Refuses one that already holds data.
  status initialize(const rocksdb::ColumnFamilyOptions& cfo, const std::string& dir) {
    auto empty = all_empty();
    if (!empty.ok()) return empty.error();
    if (!empty.value())
      return {store_errc::corrupt, dir + " holds data but no schema version; not ours"};
    for (size_t i = 0; i < family_count; ++i) {
      if (fam[i] != nullptr) continue;
      rocksdb::ColumnFamilyHandle* h = nullptr;
      auto s = db->CreateColumnFamily(cfo, std::string(family_names[i]), &h);
      if (!s.ok()) return translate(s, "create column family");
      all.push_back(h);
      fam[i] = h;
    }
    std::string v;
    keys::put_be32(v, store::schema_version);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto* meta = fam[static_cast<size_t>(family::meta)];
    return translate(db->Put(wo, meta, std::string(keys::schema_version), v),
                     "write schema version");
  }

  /// Checks the version of an opened database; initializes a new one.
  status settle_schema(const rocksdb::ColumnFamilyOptions& cfo, const std::string& dir) {
    auto version = read_version();
    if (!version.ok()) return version.error();
    if (!version.value()) return initialize(cfo, dir);
    uint32_t v = *version.value();
    if (v > store::schema_version)
      return {store_errc::newer_schema,
              dir + " has schema version " + std::to_string(v) + ", this program reads up to " +
                  std::to_string(store::schema_version) + "; use a newer build"};
    if (v < 1) return {store_errc::corrupt, dir + " has schema version 0"};
    if (!has_all_families())
      return {store_errc::corrupt, dir + " lacks a column family of schema version 1"};
    return {};
  }
};

store::store(std::string dir, std::unique_ptr<handles> h)
    : dir_(std::move(dir)), h_(std::move(h)) {}

store::~store() = default;

result<std::unique_ptr<store>> store::open(const std::string& dir, const store_options& opt) {
  auto state = inspect_dir(dir);
  if (!state.ok()) return state.error();
  bool fresh = state.value() == dir_state::fresh;
  std::vector<std::string> names{rocksdb::kDefaultColumnFamilyName};
  if (!fresh) {
    auto listed = list_families(dir);
    if (!listed.ok()) return listed.error();
    names = std::move(listed.value());
  }
  auto cache = rocksdb::NewLRUCache(opt.block_cache_bytes);
  auto cfo = cf_options(opt, cache);
  // Open exactly the families on disk (a newer schema's extra ones included), so the
  // checks below run before this program creates or writes anything.
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) descs.emplace_back(n, cfo);
  auto h = std::make_unique<handles>();
  auto s = rocksdb::DB::Open(db_options(fresh), dir, descs, &h->all, &h->db);
  if (!s.ok()) return translate(s, "open " + dir);
  h->index_families();
  if (auto st = h->settle_schema(cfo, dir); !st.ok()) return st;
  return std::unique_ptr<store>(new store(dir, std::move(h)));
}

rocksdb::ColumnFamilyHandle* store::cf(family f) const {
  auto i = static_cast<size_t>(f);
  return i < family_count ? h_->fam[i] : nullptr;
}

status store::apply(const write_batch& batch, bool sync) {
  rocksdb::WriteBatch wb(batch.bytes() + 24 * batch.size() + 16);
  for (const auto& op : batch.ops) {
    auto* h = cf(op.fam);
    if (h == nullptr) return {store_errc::invalid, "write to unknown family"};
    auto s = op.erase ? wb.Delete(h, op.key) : wb.Put(h, op.key, op.value);
    if (!s.ok()) return translate(s, "build batch");
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return translate(h_->db->Write(wo, &wb), "write");
}

result<std::optional<std::string>> store::get(family f, std::string_view key) const {
  auto* h = cf(f);
  if (h == nullptr) return status{store_errc::invalid, "read from unknown family"};
  rocksdb::PinnableSlice v;
  auto s = h_->db->Get(rocksdb::ReadOptions(), h, rocksdb::Slice(key.data(), key.size()), &v);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return translate(s, "get");
  return std::optional<std::string>{v.ToString()};
}

status store::scan(family f, std::string_view prefix, const scan_fn& fn) const {
  auto* h = cf(f);
  if (h == nullptr) return {store_errc::invalid, "scan of unknown family"};
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a recovery scan reads everything once
  std::string end = keys::prefix_end(prefix);
  rocksdb::Slice upper(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(h_->db->NewIterator(ro, h));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    auto k = it->key();
    std::string_view key(k.data(), k.size());
    if (key.substr(0, prefix.size()) != prefix) break;  // only when prefix_end is empty
    auto v = it->value();
    if (!fn(key, std::string_view(v.data(), v.size()))) break;
  }
  return translate(it->status(), "scan " + std::string(family_name(f)));
}

status store::checkpoint(const std::string& dir, uint64_t* sequence) {
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(h_->db, &raw);
  if (!s.ok()) return translate(s, "checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // log_size_for_flush 0 (RocksDB's default, said here on purpose): flush the memtables
  // first, so the copy is mostly hard-linked SST files instead of a copied log.
  uint64_t seq = 0;
  auto st = translate(cp->CreateCheckpoint(dir, 0, &seq), "checkpoint to " + dir);
  if (st.ok() && sequence != nullptr) *sequence = seq;
  return st;
}

status store::verify(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(fs::path(dir) / "CURRENT", ec))
    return {store_errc::corrupt, dir + " holds no database (no CURRENT file)"};
  auto names = list_families(dir);
  if (!names.ok()) return names.error();
  auto cfo = cf_options(store_options{}, rocksdb::NewLRUCache(size_t{8} << 20));
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names.value()) descs.emplace_back(n, cfo);
  handles h;
  auto s = rocksdb::DB::OpenForReadOnly(db_options(false), dir, descs, &h.all, &h.db);
  if (!s.ok()) return translate(s, "open " + dir + " read-only");
  h.index_families();
  auto version = h.read_version();
  if (!version.ok()) return version.error();
  if (!version.value()) return {store_errc::corrupt, dir + " has no schema version"};
  if (*version.value() > schema_version)
    return {store_errc::newer_schema,
            dir + " has schema version " + std::to_string(*version.value())};
  if (!h.has_all_families()) return {store_errc::corrupt, dir + " lacks a column family"};
  return translate(h.db->VerifyChecksum(), "verify checksums of " + dir);
}

status store::restore(const std::string& backup_dir, const std::string& data_dir) {
  if (auto st = verify(backup_dir); !st.ok()) return st;
  std::error_code ec;
  fs::path target(data_dir);
  if (fs::exists(target, ec) && !(fs::is_directory(target, ec) && fs::is_empty(target, ec)))
    return {store_errc::invalid, "refusing to restore onto " + data_dir + ": not empty"};
  // Copy next to the target and rename, so data_dir is either absent/empty or complete.
  fs::path tmp = target.string() + ".restore-tmp";
  fs::remove_all(tmp, ec);  // a leftover of an interrupted restore
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  fs::copy(backup_dir, tmp, fs::copy_options::recursive, ec);
  if (ec) return fs_error(ec, "copy " + backup_dir + " to " + tmp.string());
  fs::remove(tmp / "LOCK", ec);  // the backup's lock file means nothing here
  if (auto st = sync_tree(tmp); !st.ok()) return st;
  fs::remove(target, ec);  // the empty directory, if any
  fs::rename(tmp, target, ec);
  if (ec) return fs_error(ec, "rename " + tmp.string() + " to " + data_dir);
  auto parent = fs::absolute(target).parent_path();
  if (auto st = fsync_path(parent); !st.ok()) return st;
  return verify(data_dir);
}

}  // namespace concert
