// Speed of the plain seat rules (seat_block.hpp), without actors: hold/lapse and
// hold/lock/unlock cycles on one seat, a full purchase, and listing the 50 seats of a
// demo schedule. Actor messaging costs come on top; see caf-0.17.md for those figures.
#include <benchmark/benchmark.h>

#include <vector>

#include "actors/catalog.hpp"
#include "actors/seat_block.hpp"

namespace concert {
namespace {

constexpr time_us hold_time = seconds_us(300);

seat_block demo_block() {
  auto def = demo_catalog().schedules.front();
  return seat_block{{1, def.id, 1, hold_time, seconds_us(30)}, def.prices};
}

/// Hold a seat, let the hold lapse, hold it again: the lazy-expiry path.
void BM_HoldAndLapse(benchmark::State& state) {
  auto b = demo_block();
  time_us now = 0;
  for (auto _ : state) {
    auto out = b.hold(1, 17, now);
    benchmark::DoNotOptimize(out);
    now += hold_time;
  }
}
BENCHMARK(BM_HoldAndLapse);

/// Hold, lock, unlock and let it lapse: a refused payment released by time.
void BM_HoldLockUnlockRelease(benchmark::State& state) {
  auto b = demo_block();
  time_us now = 0;
  for (auto _ : state) {
    auto rid = b.hold(1, 17, now).resv.id;
    benchmark::DoNotOptimize(b.lock(1, rid, now + 1));
    benchmark::DoNotOptimize(b.unlock(1, rid, now + 2));
    b.settle_due(now + hold_time);
    now += hold_time;
  }
}
BENCHMARK(BM_HoldLockUnlockRelease);

/// Hold, lock and sell every seat of a fresh block (50 purchases per iteration).
void BM_SellOutBlock(benchmark::State& state) {
  for (auto _ : state) {
    auto b = demo_block();
    for (seat_no s = 1; s <= 50; ++s) {
      auto rid = b.hold(s, s, 0).resv.id;
      b.lock(s, rid, 1);
      benchmark::DoNotOptimize(b.sell(s, rid, 2));
    }
  }
  state.SetItemsProcessed(state.iterations() * 50);
}
BENCHMARK(BM_SellOutBlock);

/// List the 50 seats of a schedule with a third of them held: all, or reservable only.
void BM_List50Seats(benchmark::State& state) {
  auto b = demo_block();
  for (seat_no s = 1; s <= 50; s += 3) b.hold(s, s, 0);
  const bool all = state.range(0) != 0;
  for (auto _ : state) benchmark::DoNotOptimize(b.list(1, all));
}
BENCHMARK(BM_List50Seats)->Arg(1)->Arg(0);

}  // namespace
}  // namespace concert

BENCHMARK_MAIN();
