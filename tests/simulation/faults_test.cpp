// Fault injection in inproc mode: the whole system crashes (every actor killed at once,
// unflushed writes lost) at seeded moments and restarts from its store. Fans whose
// request was lost see a failure and retry; afterwards nothing may be sold twice, lost
// or unbalanced, and the run must still be reproducible from its seed.

#include <gtest/gtest.h>

#include <filesystem>

#include "simulation/run.hpp"

using namespace concert;
using namespace concert::sim;

namespace {

sim_options crashing_run(uint64_t seed) {
  sim_options o;
  o.seed = seed;
  o.workload.users = 1'500;
  o.system.max_active = 200;
  o.restarts = 25;
  o.restart_window_seconds = 100;  // well inside the run (about 150 s)
  o.jitter_ms = 100;
  o.progress = "off";
  return o;
}

std::string violations_of(const run_report& r) {
  std::string why;
  for (const auto& v : r.invariants.violations) why += v + "\n";
  return why;
}

}  // namespace

TEST(FaultsTest, CrashesAndRestartsKeepEveryInvariant) {
  const run_report r = run_in_process(crashing_run(4));
  EXPECT_TRUE(r.invariants.ok) << violations_of(r);
  EXPECT_GT(r.counts.failures, 0u) << "some crashes must catch requests in flight";
  EXPECT_EQ(r.unfinished, 0u) << "fans retry and finish after a restart";
  EXPECT_EQ(r.counts.endings.count("failed"), 0u) << "a restarted system answers retries";
  EXPECT_GT(r.counts.payments_succeeded, 0u);
  EXPECT_EQ(r.counts.seats_sold, r.counts.payments_succeeded);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.front().find("25 times"), std::string::npos) << r.notes.front();
}

TEST(FaultsTest, SameSeedSameDigestWithRestarts) {
  const run_report a = run_in_process(crashing_run(9));
  const run_report b = run_in_process(crashing_run(9));
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.counts.failures, b.counts.failures);
  EXPECT_EQ(a.counts.operations, b.counts.operations);
  sim_options calm = crashing_run(9);
  calm.restarts = 0;
  EXPECT_NE(a.digest, run_in_process(calm).digest) << "the crashes change the trace";
  EXPECT_TRUE(a.invariants.ok) << violations_of(a);
}

TEST(FaultsTest, AGivenDataDirectoryKeepsTheStore) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "concert_faults_store";
  std::filesystem::remove_all(dir);
  sim_options o = crashing_run(2);
  o.workload.users = 300;
  o.restarts = 3;
  o.data_dir = dir.string();
  const run_report r = run_in_process(o);
  EXPECT_TRUE(r.invariants.ok) << violations_of(r);
  EXPECT_TRUE(std::filesystem::exists(dir / "CURRENT")) << "a RocksDB store was written";
  EXPECT_THROW(run_in_process(o), std::runtime_error) << "a used store is refused";
  std::filesystem::remove_all(dir);
}
