// How long a persistent system takes to be ready again after a stop: open the store,
// read the catalog, lay 1M stored seat states over their blocks, settle open payment
// intents, refill the queue, spawn every actor, and answer a request that touches every
// seat block. The store also holds 100k wallets, which recovery must not read (they are
// activated on demand). Target: under 5 s. The store is built once, outside the timing.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <caf/all.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "actors/record_codec.hpp"
#include "actors/runtime.hpp"
#include "storage/keys.hpp"

using namespace concert;
namespace fs = std::filesystem;

namespace {

constexpr uint32_t schedules = 20;
constexpr uint32_t seats_per_schedule = 50'000;  // 20 x 50k = 1M seats
constexpr uint64_t wallets = 100'000;
constexpr uint64_t waiting_tokens = 100'000;
constexpr uint64_t open_intents = 100;
constexpr time_us start = seconds_us(1'800'000'000);

void check(const status& st, const char* what) {
  if (!st.ok()) throw std::runtime_error(std::string(what) + ": " + st.to_string());
}

/// Writes the whole data set; flushed in large unsynced batches, synced at the end.
class data_set {
 public:
  data_set() {
    std::string tmpl = (fs::temp_directory_path() / "recovery_bench.XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    dir_ += "/db";
    auto opened = store::open(dir_);
    check(opened.error(), "open");
    auto& db = *opened.value();
    auto cat = load_or_create_catalog(db, synthetic_catalog(10, 2, seats_per_schedule), 64);
    check(cat.error(), "catalog");
    write_seats(db);
    write_wallets(db);
    write_tokens(db);
  }
  ~data_set() {
    std::error_code ec;
    fs::remove_all(fs::path(dir_).parent_path(), ec);
  }
  const std::string& dir() const { return dir_; }

 private:
  /// Every seat has a record: a third sold, a third held (live), a third lapsed.
  /// The first `open_intents` held seats are PAYING with a debited wallet and an intent.
  void write_seats(store& db) {
    write_batch b;
    uint32_t block = 1;
    uint64_t paying = 0;
    for (schedule_id s = 1; s <= schedules; ++s) {
      for (seat_no n = 1; n <= seats_per_schedule; ++n) {
        if (n > 1 && (n - 1) % 64 == 0) ++block;
        seat_record r;
        r.seat = n;
        r.owner = 1 + n % wallets;
        r.rid = make_reservation_id(block, (n - 1) % 64 + 1);
        r.deadline = start + seconds_us(300);
        r.status = n % 3 == 0   ? seat_status::sold
                   : n % 3 == 1 ? seat_status::held
                                : seat_status::available;
        if (r.status == seat_status::held && paying < open_intents) {
          r.status = seat_status::paying;
          r.pay_deadline = start + seconds_us(30);
          add_intent(db, b, r, 60'000);
          ++paying;
        }
        b.put(family::seats, keys::encode_seat(s, n), records::encode_seat(r));
        if (b.size() >= 10'000) flush(db, b, false);
      }
      ++block;
    }
    flush(db, b, true);
  }

  /// A wallet that paid `r` (debited) and the intent naming it.
  void add_intent(store& db, write_batch& b, const seat_record& r, points price) {
    wallet w{r.owner};
    w.charge(price, start, 1'000'000'000);
    w.add_reservation({r.rid, r.owner, 1, r.seat, price, reservation_status::held, r.deadline});
    w.begin_pay(r.rid, {}, start);
    w.debit(r.rid, start);
    b.put(family::wallets, keys::encode_wallet(r.owner), w.encode());
    b.put(family::intents, keys::encode_intent(r.rid),
          records::encode_intent({r.owner, price, {}}));
    (void)db;
  }

  void write_wallets(store& db) {
    write_batch b;
    for (user_id u = 1'000'000; u < 1'000'000 + wallets; ++u) {  // apart from intent owners
      wallet w{u};
      w.charge(500'000, start, 1'000'000'000);
      b.put(family::wallets, keys::encode_wallet(u), w.encode());
      if (b.size() >= 10'000) flush(db, b, false);
    }
    flush(db, b, true);
  }

  void write_tokens(store& db) {
    write_batch b;
    for (uint64_t seq = 1; seq <= waiting_tokens; ++seq) {
      records::gate_token t{seq, seq <= 100, seq <= 100 ? start : 0};
      b.put(family::gate, keys::encode_gate_token(seq), records::encode_gate_token(t));
      if (b.size() >= 10'000) flush(db, b, false);
    }
    b.put(family::meta, keys::encode_counter(records::gate_seq_counter),
          keys::be64(waiting_tokens + 1));
    flush(db, b, true);
  }

  static void flush(store& db, write_batch& b, bool sync) {
    check(db.apply(b, sync), "write");
    b.ops.clear();
  }

  std::string dir_;
};

data_set& data() {
  static data_set d;
  return d;
}

/// One start: open, recover, spawn, and one request across every seat block.
void recover_once(benchmark::State& state) {
  caf::actor_system_config cfg;
  configure_caf(cfg, false, 2);
  caf::actor_system sys{cfg};
  system_settings s;
  s.seed = 7;
  s.epoch_at_start = start + seconds_us(10);
  persistent_options o;
  o.data_dir = data().dir();
  auto began = std::chrono::steady_clock::now();
  auto cpu_began = std::clock();
  auto h = open_persistent_system(sys, s, o);
  check(h.error(), "recover");
  auto opened = std::chrono::steady_clock::now();
  caf::scoped_actor self{sys};
  seat_stats stats;
  self->request(h.value().catalog, caf::infinite, stats_atom::value)
      .receive([&](seat_stats st) { stats = st; },
               [&](caf::error& e) { throw std::runtime_error(sys.render(e)); });
  auto ready = std::chrono::steady_clock::now();
  auto took = std::chrono::duration<double>(ready - began).count();
  state.SetIterationTime(took);
  // Phases: store + recovery + spawn (returns), then until every block answered; and
  // the CPU time of all threads, which a busy machine inflates less than wall time.
  state.counters["open_s"] = std::chrono::duration<double>(opened - began).count();
  state.counters["ready_s"] = std::chrono::duration<double>(ready - opened).count();
  state.counters["cpu_s"] = static_cast<double>(std::clock() - cpu_began) / CLOCKS_PER_SEC;
  if (stats.available + stats.held + stats.sold != uint64_t{schedules} * seats_per_schedule)
    throw std::runtime_error("recovered seat counts do not add up");
  state.counters["seats"] = static_cast<double>(stats.available + stats.held + stats.sold);
  state.counters["sold"] = static_cast<double>(stats.sold);
  state.counters["intents_settled"] =
      static_cast<double>(h.value().recovered.intents_completed +
                          h.value().recovered.intents_refunded + h.value().recovered.intents_sold);
  state.counters["gate_tokens"] = static_cast<double>(h.value().recovered.gate_tokens);
  stop_system(h.value());
}

void BM_RecoveryFirstStartWithIntents(benchmark::State& state) {
  data();  // built before timing
  for (auto _ : state) recover_once(state);
}

void BM_RecoveryRestart(benchmark::State& state) {
  data();
  for (auto _ : state) recover_once(state);
}

}  // namespace

// The first start settles the 100 open intents (one synced batch each); later starts
// have none. Wall time per start, manual timing (the data set is built beforehand).
BENCHMARK(BM_RecoveryFirstStartWithIntents)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RecoveryRestart)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
