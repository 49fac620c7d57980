// Speed of the wallet core alone (no actors): charges, keyed debits of a full payment
// cycle, and the encode/decode a passivation and activation pay, by wallet size.

#include <benchmark/benchmark.h>

#include <string>

#include "actors/wallet.hpp"

using namespace concert;

namespace {

constexpr points max_balance = 4'000'000'000'000'000'000;
constexpr time_us t0 = seconds_us(1'800'000'000);

/// A wallet with `n` charges and `n` paid reservations, half of them paid with a key.
wallet wallet_of_size(int64_t n) {
  wallet w{1};
  for (int64_t i = 0; i < n; ++i) {
    auto rid = static_cast<reservation_id>(i + 1);
    w.charge(1000, t0 + i, max_balance);
    w.add_reservation(
        reservation{rid, 1, 1, static_cast<seat_no>(i), 700, reservation_status::held, t0 + 1});
    std::string key = i % 2 == 0 ? "key-" + std::to_string(i) : "";
    if (w.begin_pay(rid, key, t0).step != pay_step::lock) continue;
    auto out = w.debit(rid, t0);
    w.finish_pay(rid, key, {code::created, out.paid});
  }
  return w;
}

void BM_Charge(benchmark::State& state) {
  wallet w{1};
  time_us now = t0;
  for (auto _ : state) benchmark::DoNotOptimize(w.charge(1, ++now, max_balance));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Charge);

/// begin_pay + debit + finish_pay on a fresh reservation each time: the core's share of
/// one payment.
void BM_PaymentCycle(benchmark::State& state) {
  wallet w{1};
  w.charge(max_balance, t0, max_balance);
  reservation_id rid = 0;
  for (auto _ : state) {
    ++rid;
    w.add_reservation(reservation{rid, 1, 1, 1, 1, reservation_status::held, t0 + 1});
    w.begin_pay(rid, "", t0);
    auto out = w.debit(rid, t0);
    w.finish_pay(rid, "", {code::created, out.paid});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PaymentCycle);

/// The keyed replay: a second debit of the same reservation changes nothing.
void BM_RepeatedDebit(benchmark::State& state) {
  auto w = wallet_of_size(16);
  for (auto _ : state) benchmark::DoNotOptimize(w.debit(1, t0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RepeatedDebit);

void BM_Encode(benchmark::State& state) {
  auto w = wallet_of_size(state.range(0));
  size_t bytes = 0;
  for (auto _ : state) {
    auto s = w.encode();
    bytes += s.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Encode)->Arg(0)->Arg(10)->Arg(100)->Arg(1000);

void BM_Decode(benchmark::State& state) {
  auto bytes = wallet_of_size(state.range(0)).encode();
  for (auto _ : state) {
    auto w = wallet::decode(bytes);
    benchmark::DoNotOptimize(w);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_Decode)->Arg(0)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
