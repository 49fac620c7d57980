// The RocksDB store without actors: create and reopen, the schema version, every
// refusal (locked, newer schema, corrupt, not ours), reads and writes in every family,
// prefix scans, and checkpoint / verify / restore.
#include "storage/store.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <rocksdb/db.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "storage/keys.hpp"

using namespace concert;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under /tmp, removed afterwards.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "store_test.XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string sub(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

const std::array<family, family_count> all_families = {
    family::meta, family::catalog, family::seats, family::wallets, family::intents, family::gate};

std::unique_ptr<store> open_ok(const std::string& dir) {
  auto r = store::open(dir);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? std::move(r.value()) : nullptr;
}

std::optional<std::string> get_ok(const store& s, family f, const std::string& key) {
  auto r = s.get(f, key);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r.value() : std::nullopt;
}

void put_ok(store& s, family f, std::string key, std::string value) {
  write_batch b;
  b.put(f, std::move(key), std::move(value));
  auto st = s.apply(b, true);
  EXPECT_TRUE(st.ok()) << st.to_string();
}

std::string be32(uint32_t v) {
  std::string s;
  keys::put_be32(s, v);
  return s;
}

/// Writes a database with raw RocksDB: the given families (besides default), each
/// holding the given records, to fake other programs' or other versions' databases.
void raw_db(const std::string& dir, const std::vector<std::string>& families,
            const std::vector<std::tuple<std::string, std::string, std::string>>& records) {
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(o, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::map<std::string, rocksdb::ColumnFamilyHandle*> cfs{{"default", db->DefaultColumnFamily()}};
  for (const auto& f : families) {
    rocksdb::ColumnFamilyHandle* h = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), f, &h).ok());
    cfs[f] = h;
  }
  for (const auto& [f, k, v] : records)
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cfs.at(f), k, v).ok());
  for (auto& [name, h] : cfs) {
    if (name != "default") {
      ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    }
  }
  ASSERT_TRUE(db->Close().ok());
}

size_t file_count(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST(Store, CreatesMissingDirectoryAndWritesSchemaVersion) {
  temp_dir tmp;
  auto dir = tmp.sub("a/b/data");
  auto s = open_ok(dir);
  ASSERT_TRUE(s);
  EXPECT_EQ(get_ok(*s, family::meta, std::string(keys::schema_version)), be32(1));
  EXPECT_EQ(s->dir(), dir);
}

TEST(Store, ReopenKeepsDataAndVersion) {
  temp_dir tmp;
  auto dir = tmp.sub("data");
  {
    auto s = open_ok(dir);
    ASSERT_TRUE(s);
    put_ok(*s, family::wallets, keys::encode_wallet(7), "wallet-7");
  }
  auto s = open_ok(dir);
  ASSERT_TRUE(s);
  EXPECT_EQ(get_ok(*s, family::wallets, keys::encode_wallet(7)), "wallet-7");
  EXPECT_EQ(get_ok(*s, family::meta, std::string(keys::schema_version)), be32(1));
}

TEST(Store, PutGetDeleteInEveryFamilyAreSeparate) {
  temp_dir tmp;
  auto s = open_ok(tmp.sub("data"));
  ASSERT_TRUE(s);
  for (auto f : all_families) put_ok(*s, f, "k", std::string("v-") + std::string(family_name(f)));
  for (auto f : all_families)
    EXPECT_EQ(get_ok(*s, f, "k"), std::string("v-") + std::string(family_name(f)));
  write_batch del;
  del.erase(family::seats, "k");
  ASSERT_TRUE(s->apply(del, true).ok());
  EXPECT_EQ(get_ok(*s, family::seats, "k"), std::nullopt);
  EXPECT_EQ(get_ok(*s, family::gate, "k"), "v-gate");  // other families untouched
  EXPECT_EQ(get_ok(*s, family::wallets, "absent"), std::nullopt);
}

TEST(Store, BatchAppliesInOrderAndAllOrNothing) {
  temp_dir tmp;
  auto s = open_ok(tmp.sub("data"));
  ASSERT_TRUE(s);
  write_batch b;
  b.put(family::catalog, "x", "1");
  b.put(family::catalog, "x", "2");
  b.put(family::intents, "y", "1");
  b.erase(family::intents, "y");
  ASSERT_TRUE(s->apply(b, false).ok());
  EXPECT_EQ(get_ok(*s, family::catalog, "x"), "2");
  EXPECT_EQ(get_ok(*s, family::intents, "y"), std::nullopt);

  write_batch bad;
  bad.put(family::catalog, "z", "1");
  bad.put(static_cast<family>(99), "z", "1");
  auto st = s->apply(bad, true);
  EXPECT_EQ(st.kind(), store_errc::invalid);
  EXPECT_EQ(get_ok(*s, family::catalog, "z"), std::nullopt);
  EXPECT_EQ(s->get(static_cast<family>(99), "z").error().kind(), store_errc::invalid);
}

TEST(Store, ScanVisitsOnlyThePrefixInKeyOrder) {
  temp_dir tmp;
  auto s = open_ok(tmp.sub("data"));
  ASSERT_TRUE(s);
  write_batch b;
  for (seat_no n : {300u, 2u, 256u, 1u}) b.put(family::seats, keys::encode_seat(5, n), "s5");
  b.put(family::seats, keys::encode_seat(4, 9), "s4");
  b.put(family::seats, keys::encode_seat(6, 0), "s6");
  ASSERT_TRUE(s->apply(b, true).ok());

  std::vector<seat_no> seen;
  auto st = s->scan(family::seats, keys::seats_of(5), [&](std::string_view k, std::string_view v) {
    EXPECT_EQ(v, "s5");
    seen.push_back(keys::decode_seat(k)->seat);
    return true;
  });
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(seen, (std::vector<seat_no>{1, 2, 256, 300}));

  size_t all = 0;
  ASSERT_TRUE(s->scan(family::seats, "", [&](auto, auto) { return ++all, true; }).ok());
  EXPECT_EQ(all, 6u);
  size_t stopped = 0;
  ASSERT_TRUE(s->scan(family::seats, "", [&](auto, auto) { return ++stopped < 2; }).ok());
  EXPECT_EQ(stopped, 2u);
}

TEST(Store, SecondOpenInSameProcessIsLocked) {
  temp_dir tmp;
  auto first = open_ok(tmp.sub("data"));
  ASSERT_TRUE(first);
  auto second = store::open(tmp.sub("data"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind(), store_errc::locked) << second.error().to_string();
  first.reset();
  EXPECT_TRUE(store::open(tmp.sub("data")).ok());  // free again once closed
}

// Helper run in a child process by the next test: holds the store open until its stdin
// closes. Disabled so that it runs only when asked for by name.
TEST(StoreHelper, DISABLED_HoldOpen) {
  const char* dir = std::getenv("CONCERT_HOLD_DIR");
  if (dir == nullptr) GTEST_SKIP();
  auto s = store::open(dir);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  char c = 'r';
  ASSERT_EQ(::write(3, &c, 1), 1);  // fd 3: the parent's ready pipe
  while (::read(STDIN_FILENO, &c, 1) > 0) {
  }
}

TEST(Store, DirectoryOpenInAnotherProcessIsLocked) {
  temp_dir tmp;
  auto dir = tmp.sub("data");
  { ASSERT_TRUE(open_ok(dir)); }
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe2(to_child, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(from_child, O_CLOEXEC), 0);
  std::string env = "CONCERT_HOLD_DIR=" + dir;
  char* envp[] = {env.data(), nullptr};
  char filter[] = "--gtest_filter=StoreHelper.DISABLED_HoldOpen";
  char disabled[] = "--gtest_also_run_disabled_tests";
  char self[] = "/proc/self/exe";
  char* argv[] = {self, filter, disabled, nullptr};
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::dup2(to_child[0], STDIN_FILENO);
    ::dup2(from_child[1], 3);
    ::dup2(devnull, STDOUT_FILENO);  // gtest's own output must not look like "ready"
    ::execve(self, argv, envp);
    ::_exit(127);
  }
  ::close(devnull);
  ::close(to_child[0]);
  ::close(from_child[1]);
  char c = 0;
  ASSERT_EQ(::read(from_child[0], &c, 1), 1) << "child did not open the store";
  auto r = store::open(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), store_errc::locked) << r.error().to_string();
  ::close(to_child[1]);  // lets the child finish
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  ::close(from_child[0]);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  EXPECT_TRUE(store::open(dir).ok());
}

TEST(Store, NewerSchemaIsRefusedAndLeftUntouched) {
  temp_dir tmp;
  auto dir = tmp.sub("data");
  {
    auto s = open_ok(dir);
    ASSERT_TRUE(s);
    put_ok(*s, family::meta, std::string(keys::schema_version), be32(2));
    put_ok(*s, family::wallets, keys::encode_wallet(1), "w");
  }
  auto r = store::open(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), store_errc::newer_schema) << r.error().to_string();
  EXPECT_EQ(store::verify(dir).kind(), store_errc::newer_schema);
}

TEST(Store, NewerSchemaWithUnknownFamiliesIsRefusedAsNewer) {
  temp_dir tmp;
  auto dir = tmp.sub("data");
  raw_db(dir, {"meta", "catalog", "seats", "wallets", "intents", "gate", "future"},
         {{"meta", std::string(keys::schema_version), be32(3)}, {"future", "k", "v"}});
  auto r = store::open(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), store_errc::newer_schema) << r.error().to_string();
}

TEST(Store, GarbageCurrentFileIsCorruptAndFilesAreKept) {
  temp_dir tmp;
  auto dir = tmp.sub("data");
  {
    auto s = open_ok(dir);
    ASSERT_TRUE(s);
    put_ok(*s, family::wallets, keys::encode_wallet(1), "w");
  }
  { std::ofstream(fs::path(dir) / "CURRENT", std::ios::trunc) << "garbage\n"; }
  auto before = file_count(dir);
  auto r = store::open(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), store_errc::corrupt) << r.error().to_string();
  EXPECT_EQ(file_count(dir), before);
  EXPECT_EQ(store::verify(dir).kind(), store_errc::corrupt);
}

TEST(Store, ForeignNonEmptyDirectoryIsRefused) {
  temp_dir tmp;
  auto dir = tmp.sub("data");
  fs::create_directories(dir);
  { std::ofstream(fs::path(dir) / "notes.txt") << "mine"; }
  auto r = store::open(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), store_errc::corrupt) << r.error().to_string();
  EXPECT_EQ(file_count(dir), 1u);
}

TEST(Store, DatabaseWithDataButNoVersionIsRefused) {
  temp_dir tmp;
  auto dir = tmp.sub("data");
  raw_db(dir, {}, {{"default", "someone", "else's data"}});
  auto r = store::open(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), store_errc::corrupt) << r.error().to_string();
}

TEST(Store, InterruptedCreationWithoutDataIsInitialized) {
  temp_dir tmp;
  auto dir = tmp.sub("data");
  raw_db(dir, {"meta", "seats"}, {});  // created, crashed before the version was written
  auto s = open_ok(dir);
  ASSERT_TRUE(s);
  EXPECT_EQ(get_ok(*s, family::meta, std::string(keys::schema_version)), be32(1));
  put_ok(*s, family::gate, keys::encode_gate_token(1), "t");
}

TEST(Store, CurrentVersionMissingAFamilyIsCorrupt) {
  temp_dir tmp;
  auto dir = tmp.sub("data");
  raw_db(dir, {"meta", "seats"}, {{"meta", std::string(keys::schema_version), be32(1)}});
  auto r = store::open(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), store_errc::corrupt) << r.error().to_string();
}

TEST(Store, CheckpointRestoreRoundTrip) {
  temp_dir tmp;
  auto s = open_ok(tmp.sub("data"));
  ASSERT_TRUE(s);
  write_batch b;
  for (user_id u = 1; u <= 100; ++u)
    b.put(family::wallets, keys::encode_wallet(u), "w" + std::to_string(u));
  ASSERT_TRUE(s->apply(b, true).ok());
  auto st = s->checkpoint(tmp.sub("backup"));
  ASSERT_TRUE(st.ok()) << st.to_string();
  put_ok(*s, family::wallets, keys::encode_wallet(101), "after the backup");
  put_ok(*s, family::wallets, keys::encode_wallet(1), "changed after the backup");

  EXPECT_TRUE(store::verify(tmp.sub("backup")).ok());
  st = store::restore(tmp.sub("backup"), tmp.sub("restored"));
  ASSERT_TRUE(st.ok()) << st.to_string();
  auto r = open_ok(tmp.sub("restored"));
  ASSERT_TRUE(r);
  size_t n = 0;
  ASSERT_TRUE(r->scan(family::wallets, "", [&](auto, auto) { return ++n, true; }).ok());
  EXPECT_EQ(n, 100u);
  EXPECT_EQ(get_ok(*r, family::wallets, keys::encode_wallet(1)), "w1");
  EXPECT_EQ(get_ok(*r, family::wallets, keys::encode_wallet(101)), std::nullopt);
  // The restored copy is independent: writing it leaves the live store alone.
  put_ok(*r, family::wallets, keys::encode_wallet(2), "restored only");
  EXPECT_EQ(get_ok(*s, family::wallets, keys::encode_wallet(2)), "w2");
}

TEST(Store, CheckpointIntoExistingDirectoryFails) {
  temp_dir tmp;
  auto s = open_ok(tmp.sub("data"));
  ASSERT_TRUE(s);
  fs::create_directories(tmp.sub("backup"));
  EXPECT_FALSE(s->checkpoint(tmp.sub("backup")).ok());
}

TEST(Store, RestoreRefusesNonEmptyTarget) {
  temp_dir tmp;
  {
    auto s = open_ok(tmp.sub("data"));
    ASSERT_TRUE(s);
    put_ok(*s, family::wallets, keys::encode_wallet(1), "old");
    ASSERT_TRUE(s->checkpoint(tmp.sub("backup")).ok());
    put_ok(*s, family::wallets, keys::encode_wallet(1), "new");
  }
  auto st = store::restore(tmp.sub("backup"), tmp.sub("data"));
  EXPECT_EQ(st.kind(), store_errc::invalid) << st.to_string();
  auto s = open_ok(tmp.sub("data"));
  ASSERT_TRUE(s);
  EXPECT_EQ(get_ok(*s, family::wallets, keys::encode_wallet(1)), "new");
}

TEST(Store, RestoreOfDamagedBackupIsRefused) {
  temp_dir tmp;
  {
    auto s = open_ok(tmp.sub("data"));
    ASSERT_TRUE(s);
    write_batch b;
    for (user_id u = 1; u <= 1000; ++u) b.put(family::wallets, keys::encode_wallet(u), "w");
    ASSERT_TRUE(s->apply(b, true).ok());
    ASSERT_TRUE(s->checkpoint(tmp.sub("backup")).ok());  // flushes: the data is in .sst files
  }
  // Damage a copy (the checkpoint's files are hard links to the live store's).
  ASSERT_TRUE(store::restore(tmp.sub("backup"), tmp.sub("copy")).ok());
  size_t damaged = 0;
  for (const auto& e : fs::directory_iterator(tmp.sub("copy"))) {
    if (e.path().extension() != ".sst") continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.write("XXXXXXXXXXXXXXXX", 16);
    ++damaged;
  }
  ASSERT_GT(damaged, 0u);
  EXPECT_EQ(store::verify(tmp.sub("copy")).kind(), store_errc::corrupt);
  auto st = store::restore(tmp.sub("copy"), tmp.sub("restored"));
  EXPECT_EQ(st.kind(), store_errc::corrupt) << st.to_string();
  EXPECT_FALSE(fs::exists(tmp.sub("restored")));
}

TEST(Store, StatusTextNamesKindAndMessage) {
  EXPECT_EQ(status{}.to_string(), "ok");
  EXPECT_EQ(status(store_errc::locked, "held").to_string(), "locked: held");
  EXPECT_EQ(store_errc_name(store_errc::newer_schema), "newer_schema");
  result<int> bad = status(store_errc::io, "disk");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), store_errc::io);
  result<int> good = 3;
  EXPECT_TRUE(good.ok() && good.error().ok() && good.value() == 3);
}
