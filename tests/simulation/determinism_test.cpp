// The promise of inproc mode: the same flags and seed give the same event trace, byte
// for byte (its digest), another seed gives another trace, and a few thousand fans
// through the whole journey keep every invariant.

#include <gtest/gtest.h>

#include "simulation/run.hpp"

using namespace concert;
using namespace concert::sim;

namespace {

sim_options small_run(uint64_t seed) {
  sim_options o;
  o.seed = seed;
  o.workload.users = 3'000;
  o.system.max_active = 300;
  o.progress = "off";
  return o;
}

}  // namespace

TEST(DeterminismTest, SameSeedSameDigestOtherSeedOtherDigest) {
  const run_report a = run_in_process(small_run(11));
  const run_report b = run_in_process(small_run(11));
  const run_report c = run_in_process(small_run(12));
  EXPECT_EQ(a.digest.size(), 16u) << "64 bits in hex";
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.counts.operations, b.counts.operations);
  EXPECT_EQ(a.simulated_seconds, b.simulated_seconds);
  EXPECT_NE(a.digest, c.digest);
}

TEST(DeterminismTest, JitteredRequestsAreReorderedYetReproducible) {
  sim_options o = small_run(11);
  o.jitter_ms = 200;
  const run_report a = run_in_process(o), b = run_in_process(o);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_NE(a.digest, run_in_process(small_run(11)).digest) << "jitter changes the trace";
  std::string why;
  for (const auto& v : a.invariants.violations) why += v + "\n";
  EXPECT_TRUE(a.invariants.ok) << why;
}

TEST(DeterminismTest, AFewThousandFansKeepEveryInvariant) {
  const run_report r = run_in_process(small_run(5));
  std::string why;
  for (const auto& v : r.invariants.violations) why += v + "\n";
  EXPECT_TRUE(r.invariants.ok) << why;
  EXPECT_EQ(r.users, 3'000u);
  EXPECT_EQ(r.unfinished, 0u);
  uint64_t seats = 0;
  for (const auto& s : catalog_for(small_run(5).workload).schedules) seats += s.prices.size();
  EXPECT_GT(r.counts.seats_sold, 0u);
  EXPECT_LE(r.counts.seats_sold, seats);
  EXPECT_EQ(r.counts.seats_sold, r.counts.payments_succeeded);
  EXPECT_EQ(r.counts.tokens_issued >= r.users, true);
  EXPECT_GT(r.counts.hold_conflicts, 0u) << "best seats first makes fans collide";
  EXPECT_GT(r.counts.payments_rejected, 0u) << "fans without points are refused first";
  EXPECT_GT(r.counts.duplicate_payments, 0u) << "double clicks are answered idempotently";
  EXPECT_GT(r.simulated_seconds, 10.0);
  EXPECT_GT(r.wait_seconds[1], 0.0) << "with 300 inside, most of 3,000 fans wait";
}

TEST(DeterminismTest, ATraceFileHoldsOneLinePerEvent) {
  sim_options o = small_run(3);
  o.workload.users = 200;
  o.trace = ::testing::TempDir() + "/concert_sim_trace.txt";
  const run_report r = run_in_process(o);
  std::FILE* f = std::fopen(o.trace.c_str(), "r");
  ASSERT_NE(f, nullptr);
  uint64_t lines = 0;
  for (int ch; (ch = std::fgetc(f)) != EOF;) lines += ch == '\n';
  std::fclose(f);
  EXPECT_EQ(lines, r.counts.events + 1) << "a header, then one line per event";
  EXPECT_GT(r.counts.events, r.counts.operations / 2) << "every reply is an event";
}
