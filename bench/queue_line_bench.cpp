// Speed and memory of the queue gate's core with a long line: issuing, polling, position
// look-ups and admissions with a million fans waiting, the heap bytes each waiter costs
// (user index included), and token signing. No actors: CAF overhead is measured elsewhere.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>

#include "actors/queue_line.hpp"
#include "actors/token_codec.hpp"

// rng.hpp multiplies in unsigned __int128, which -Wpedantic flags; it is GCC/Clang-safe.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include "actors/rng.hpp"
#pragma GCC diagnostic pop

using namespace concert;

namespace {

constexpr time_us t0 = seconds_us(1'800'000'000);
constexpr uint64_t million = 1'000'000;

queue_line_config bench_cfg() {
  queue_line_config c;
  c.max_active = 100;
  c.active_ttl = seconds_us(600);
  c.waiting_idle = seconds_us(3600);  // nobody is dropped while we measure
  return c;
}

/// A line where user u holds seq u: users 1..100 inside, the rest waiting.
std::unique_ptr<queue_line> filled_line(uint64_t fans) {
  auto q = std::make_unique<queue_line>(bench_cfg());
  for (user_id u = 1; u <= fans; ++u) q->issue(u, t0);
  return q;
}

size_t heap_in_use() {
  auto m = mallinfo2();
  return m.uordblks + m.hblkhd;  // small blocks plus mmap'd large ones (the tree, buckets)
}

void BM_IssueIntoLongLine(benchmark::State& state) {
  auto q = filled_line(static_cast<uint64_t>(state.range(0)));
  user_id next = static_cast<user_id>(state.range(0)) + 1;
  for (auto _ : state) benchmark::DoNotOptimize(q->issue(next++, t0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IssueIntoLongLine)->Arg(0)->Arg(million);

void BM_PollWithMillionWaiting(benchmark::State& state) {
  auto q = filled_line(million + 100);
  rng r{1};
  token_view v;
  for (auto _ : state) {
    auto u = 101 + r.below(million);
    benchmark::DoNotOptimize(q->poll(u, u, t0, v));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PollWithMillionWaiting);

void BM_PositionWithMillionWaiting(benchmark::State& state) {
  auto q = filled_line(million + 100);
  rng r{2};
  token_view v;
  for (auto _ : state) {
    auto u = 101 + r.below(million);
    q->status(u, u, t0, v);
    benchmark::DoNotOptimize(v.position);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PositionWithMillionWaiting);

void BM_CheckWithMillionWaiting(benchmark::State& state) {
  auto q = filled_line(million + 100);
  rng r{3};
  for (auto _ : state) {
    auto u = 1 + r.below(million + 100);
    benchmark::DoNotOptimize(q->check(u, u, t0));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckWithMillionWaiting);

void BM_EndAndAdmitNextWithMillionWaiting(benchmark::State& state) {
  auto q = filled_line(million + 100);
  user_id inside = 1;  // users leave in admission order, each one letting the next in
  for (auto _ : state) benchmark::DoNotOptimize(q->end_user(inside++, t0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EndAndAdmitNextWithMillionWaiting)->Iterations(500'000);

void BM_MemoryPerWaiter(benchmark::State& state) {
  for (auto _ : state) {
    auto before = heap_in_use();
    auto q = filled_line(million + 100);
    auto after = heap_in_use();
    state.counters["bytes_per_waiter"] =
        static_cast<double>(after - before) / static_cast<double>(q->stats().waiting);
    state.counters["waiting"] = static_cast<double>(q->stats().waiting);
  }
}
BENCHMARK(BM_MemoryPerWaiter)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_TokenEncode(benchmark::State& state) {
  token_codec c{std::array<uint8_t, 32>{1, 2, 3}};
  uint64_t seq = 1;
  for (auto _ : state) benchmark::DoNotOptimize(c.encode(seq++, 42));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenEncode);

void BM_TokenDecode(benchmark::State& state) {
  token_codec c{std::array<uint8_t, 32>{1, 2, 3}};
  auto t = c.encode(123456, 42);
  for (auto _ : state) benchmark::DoNotOptimize(c.decode(t));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenDecode);

}  // namespace

BENCHMARK_MAIN();
