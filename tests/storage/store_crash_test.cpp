// Crash safety of acknowledged writes: a child process (this binary, re-executed) writes
// through the group-commit store actor on the real scheduler and reports every
// acknowledged write over a pipe; the parent SIGKILLs it after a seeded random number
// of acks, reopens the database and checks that every acked write is there, whole.
// Several rounds reuse one directory, so each round also recovers the previous crash.
// A process crash keeps the OS page cache; power-loss safety rests on sync=true.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/all.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "actors/rng.hpp"
#include "storage/keys.hpp"
#include "storage/store_actor.hpp"

using namespace concert;
namespace fs = std::filesystem;

namespace {

constexpr int ack_fd = 3;    // the child's end of the ack pipe
constexpr int writers = 32;  // concurrent writers in the child
constexpr int rounds = 4;

/// One writer: a write of two families per id, the next one sent after the ack.
void write_next(caf::event_based_actor* self, store_actor st, uint64_t id) {
  write_batch b;
  b.put(family::wallets, keys::encode_wallet(id), keys::be64(id));
  b.put(family::intents, keys::encode_intent(id), keys::be64(id));
  self->request(st, caf::infinite, write_atom::value, std::move(b))
      .then(
          [=](uint64_t) {
            auto bytes = keys::be64(id);
            if (::write(ack_fd, bytes.data(), bytes.size()) != 8) ::_exit(4);
            write_next(self, st, id + 1);
          },
          [](caf::error&) { ::_exit(3); });
}

std::vector<uint64_t> read_ids(const std::string& bytes) {
  std::vector<uint64_t> ids;
  for (size_t at = 0; at + 8 <= bytes.size(); at += 8) ids.push_back(*keys::get_be64(bytes, at));
  return ids;
}

/// Starts the child writer for `round` on `dir`; returns its pid and the pipe's read end.
std::pair<pid_t, int> start_child(const std::string& dir, int round) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {-1, -1};
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::string env_dir = "CONCERT_CRASH_DIR=" + dir;
  std::string env_round = "CONCERT_CRASH_ROUND=" + std::to_string(round);
  char* envp[] = {env_dir.data(), env_round.data(), nullptr};
  char self[] = "/proc/self/exe";
  char filter[] = "--gtest_filter=StoreCrashChild.DISABLED_WriteUntilKilled";
  char disabled[] = "--gtest_also_run_disabled_tests";
  char* argv[] = {self, filter, disabled, nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::dup2(fds[1], ack_fd);
    ::dup2(devnull, STDOUT_FILENO);
    ::execve(self, argv, envp);
    ::_exit(127);
  }
  ::close(fds[1]);
  ::close(devnull);
  return {pid, fds[0]};
}

}  // namespace

// The child: runs only when started by the test below (disabled otherwise).
TEST(StoreCrashChild, DISABLED_WriteUntilKilled) {
  const char* dir = std::getenv("CONCERT_CRASH_DIR");
  const char* round = std::getenv("CONCERT_CRASH_ROUND");
  if (dir == nullptr || round == nullptr) GTEST_SKIP();
  auto opened = store::open(dir);
  if (!opened.ok()) ::_exit(2);
  std::shared_ptr<store> db = std::move(opened.value());
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  auto st = spawn_store(sys, db);  // defaults: group commit, synced
  uint64_t base = std::strtoull(round, nullptr, 10) << 48;
  for (uint64_t w = 0; w < writers; ++w)
    sys.spawn([=](caf::event_based_actor* self) { write_next(self, st, base | (w << 32)); });
  for (;;) ::pause();  // until SIGKILL
}

TEST(StoreCrash, EveryAcknowledgedWriteSurvivesSigkill) {
  auto dir = (fs::temp_directory_path() / ("store_crash." + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  rng r(20240601);
  std::set<uint64_t> acked;
  for (int round = 1; round <= rounds; ++round) {
    uint64_t kill_after = 200 + r.below(3000);  // the random moment, in acks
    auto [pid, in] = start_child(dir, round);
    ASSERT_GT(pid, 0);
    std::string bytes;
    char buf[4096];
    bool killed = false;
    for (;;) {
      auto n = ::read(in, buf, sizeof buf);
      if (n <= 0) break;  // EOF: the child is gone and the pipe drained
      bytes.append(buf, static_cast<size_t>(n));
      if (!killed && bytes.size() / 8 >= kill_after) {
        ::kill(pid, SIGKILL);
        killed = true;
      }
    }
    ::close(in);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    ASSERT_TRUE(killed) << "round " << round << ": child ended early, status " << wstatus;
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
    auto ids = read_ids(bytes);
    ASSERT_GE(ids.size(), kill_after);
    acked.insert(ids.begin(), ids.end());

    auto opened = store::open(dir);
    ASSERT_TRUE(opened.ok()) << "round " << round << ": " << opened.error().to_string();
    auto& db = *opened.value();
    size_t missing = 0;
    for (auto id : acked) {  // every round's acks, the earlier crashes' included
      auto w = db.get(family::wallets, keys::encode_wallet(id));
      auto i = db.get(family::intents, keys::encode_intent(id));
      ASSERT_TRUE(w.ok() && i.ok());
      if (w.value() != keys::be64(id) || i.value() != keys::be64(id)) ++missing;
    }
    EXPECT_EQ(missing, 0u) << "round " << round << ": of " << acked.size() << " acked writes";
    // Atomic batches: no id has one family's record without the other's.
    size_t wallets = 0, intents = 0;
    ASSERT_TRUE(db.scan(family::wallets, "", [&](auto, auto) { return ++wallets, true; }).ok());
    ASSERT_TRUE(db.scan(family::intents, "", [&](auto, auto) { return ++intents, true; }).ok());
    EXPECT_EQ(wallets, intents);
    EXPECT_GE(wallets, acked.size());
  }
  fs::remove_all(dir);
}
