// Storage speed: acknowledged durable writes per second through the store actor
// (fsync_each vs group commit, 1/16/256 concurrent writers, each keeping one write in
// flight, real scheduler with one worker per usable CPU), the recovery scan of 1M seat
// records + 100k wallets, and a wallet point read (lazy activation).
// Data goes to $CONCERT_BENCH_DIR or the system temp dir (must be a real disk for fsync
// numbers to mean anything).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <caf/all.hpp>

#include <filesystem>

#include "actors/rng.hpp"
#include "storage/keys.hpp"
#include "storage/store_actor.hpp"

using namespace concert;
namespace fs = std::filesystem;

namespace {

constexpr uint32_t schedules = 1000;
constexpr uint32_t seats_per_schedule = 1000;  // 1M seat records
constexpr uint64_t users = 100'000;

fs::path bench_root() {
  const char* env = std::getenv("CONCERT_BENCH_DIR");
  fs::path root = env ? fs::path(env) : fs::temp_directory_path();
  return root / ("store_bench." + std::to_string(::getpid()));
}

unsigned usable_cpus_here() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

std::unique_ptr<store> open_or_die(const fs::path& dir) {
  auto r = store::open(dir.string());
  if (!r.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), r.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(r.value());
}

// ---- the disk itself: what one fsync costs here (bounds every durable number) ----

void BM_RawFdatasync(benchmark::State& state) {
  fs::create_directories(bench_root());
  auto path = bench_root() / "fsync.dat";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) state.SkipWithError("cannot create the probe file");
  std::string record(100, 'x');
  for (auto _ : state) {
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd) != 0)
      state.SkipWithError("write/fdatasync failed");
  }
  ::close(fd);
  fs::remove(path);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// ---- acknowledged durable writes through the store actor ----

struct writer_args {
  store_actor st;
  caf::actor done;
  uint64_t first_id;
  uint64_t count;
};

void write_loop(caf::event_based_actor* self, writer_args a, uint64_t i) {
  if (i == a.count) {
    self->send(a.done, caf::ok_atom::value);
    return;
  }
  write_batch b;
  b.put(family::wallets, keys::encode_wallet(a.first_id + i), std::string(100, 'w'));
  self->request(a.st, caf::infinite, write_atom::value, std::move(b))
      .then([=](uint64_t) { write_loop(self, a, i + 1); },
            [=](caf::error& e) {
              std::fprintf(stderr, "write failed: %s\n", caf::to_string(e).c_str());
              std::exit(1);
            });
}

void BM_AckedWrites(benchmark::State& state) {
  auto mode = state.range(0) == 0 ? commit_mode::fsync_each : commit_mode::group;
  auto writers = static_cast<uint64_t>(state.range(1));
  bool linger = state.range(2) != 0;
  uint64_t per_writer = std::max<uint64_t>(20, 2000 / writers);
  auto dir = bench_root() / "writes";
  fs::remove_all(dir);
  std::shared_ptr<store> db = open_or_die(dir);
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(usable_cpus_here()));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  store_stats stats;
  {
    caf::actor_system sys{cfg};
    store_actor_config sc;
    sc.mode = mode;
    if (!linger) sc.max_linger = caf::timespan{0};
    auto st = spawn_store(sys, db, sc);
    caf::scoped_actor self{sys};
    auto me = caf::actor_cast<caf::actor>(self);
    uint64_t next_id = 0;
    for (auto _ : state) {
      for (uint64_t w = 0; w < writers; ++w) {
        writer_args a{st, me, next_id, per_writer};
        next_id += per_writer;
        sys.spawn([a](caf::event_based_actor* s) { write_loop(s, a, 0); });
      }
      for (uint64_t w = 0; w < writers; ++w) self->receive([](caf::ok_atom) {});
    }
    self->request(st, caf::infinite, stats_atom::value)
        .receive([&](store_stats& s) { stats = s; }, [](caf::error&) {});
    caf::anon_send_exit(st, caf::exit_reason::user_shutdown);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * writers * per_writer));
  state.counters["writes_per_flush"] =
      stats.flushes ? static_cast<double>(stats.writes_acked) / stats.flushes : 0;
  db.reset();
  fs::remove_all(dir);
}

// ---- recovery ----

/// 1M seat records (25-byte values, like a seat's status, owner, reservation, deadline)
/// and 100k wallets (200-byte values), written once per process.
fs::path recovery_dir() {
  static fs::path dir = [] {
    auto d = bench_root() / "recovery";
    fs::remove_all(d);
    auto db = open_or_die(d);
    write_batch b;
    auto flush = [&] {
      if (!db->apply(b, false).ok()) std::exit(1);
      b.ops.clear();
    };
    for (uint32_t s = 1; s <= schedules; ++s) {
      for (seat_no n = 1; n <= seats_per_schedule; ++n)
        b.put(family::seats, keys::encode_seat(s, n), std::string(25, static_cast<char>(n)));
      flush();
    }
    for (uint64_t u = 1; u <= users; ++u) {
      b.put(family::wallets, keys::encode_wallet(u), std::string(200, static_cast<char>(u)));
      if (b.size() == 10'000) flush();
    }
    flush();
    return d;
  }();
  return dir;
}

/// Open + scan every seat (+ every wallet when `with_wallets`), decoding each key.
void recover(benchmark::State& state, bool with_wallets) {
  auto dir = recovery_dir();
  uint64_t records = 0;
  for (auto _ : state) {
    auto db = open_or_die(dir);
    uint64_t n = 0, checksum = 0;
    auto st = db->scan(family::seats, "", [&](std::string_view k, std::string_view v) {
      checksum += keys::decode_seat(k)->seat + static_cast<uint8_t>(v[0]);
      return ++n, true;
    });
    if (st.ok() && with_wallets)
      st = db->scan(family::wallets, "", [&](std::string_view k, std::string_view v) {
        checksum += *keys::decode_wallet(k) + v.size();
        return ++n, true;
      });
    if (!st.ok()) state.SkipWithError(st.to_string().c_str());
    benchmark::DoNotOptimize(checksum);
    records = n;
  }
  state.counters["records"] = static_cast<double>(records);
}

void BM_RecoverSeats(benchmark::State& state) { recover(state, false); }
void BM_RecoverSeatsAndWallets(benchmark::State& state) { recover(state, true); }

void BM_WalletPointRead(benchmark::State& state) {
  auto db = open_or_die(recovery_dir());
  rng r(7);
  for (auto _ : state) {
    auto v = db->get(family::wallets, keys::encode_wallet(1 + r.below(users)));
    if (!v.ok() || !v.value()) state.SkipWithError("wallet missing");
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

}  // namespace

BENCHMARK(BM_RawFdatasync)->UseRealTime()->Unit(benchmark::kMicrosecond);
// mode 0 = fsync_each, 1 = group; linger 1 = the default group commit, 0 = without it.
BENCHMARK(BM_AckedWrites)
    ->ArgNames({"mode", "writers", "linger"})
    ->Args({0, 1, 0})
    ->Args({0, 16, 0})
    ->Args({0, 256, 0})
    ->Args({1, 1, 1})
    ->Args({1, 16, 1})
    ->Args({1, 256, 1})
    ->Args({1, 16, 0})
    ->Args({1, 256, 0})
    ->UseRealTime()
    ->MinTime(3.0)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RecoverSeats)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RecoverSeatsAndWallets)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WalletPointRead)->UseRealTime();

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(bench_root(), ec);
  return 0;
}
