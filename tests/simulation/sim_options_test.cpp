// The command line and the workload file: one table of knobs, so a saved file replays
// a run, flags override the file, and bad input is refused with a reason.

#include <gtest/gtest.h>

#include <fstream>

#include "simulation/options.hpp"

using namespace concert;
using namespace concert::sim;

namespace {

bool parse(std::vector<const char*> args, sim_options& o, std::string& err) {
  args.insert(args.begin(), "concert-sim");
  bool help = false;
  return parse_options(static_cast<int>(args.size()), args.data(), o, err, help);
}

}  // namespace

TEST(OptionsTest, FlagsSetKnobsAndSystemSettings) {
  sim_options o;
  std::string err;
  ASSERT_TRUE(parse({"--users", "123", "--seed", "9", "--arrival", "poisson", "--arrival-rate",
                     "20", "--max-active", "7", "--admit-per-second", "2.5", "--hold-seconds", "60",
                     "--seat-preference", "any", "--demo-catalog"},
                    o, err))
      << err;
  EXPECT_EQ(o.workload.users, 123u);
  EXPECT_EQ(o.seed, 9u);
  EXPECT_EQ(o.workload.arrival, arrival_pattern::poisson);
  EXPECT_EQ(o.workload.preference, seat_preference::any);
  EXPECT_TRUE(o.workload.demo_catalog);
  auto s = to_settings(o, 1000);
  EXPECT_EQ(s.gate.max_active, 7);
  EXPECT_EQ(s.gate.admit_per_second, 2.5);
  EXPECT_EQ(s.seats.hold_time, seconds_us(60));
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.epoch_at_start, 1000);
}

TEST(OptionsTest, BadInputIsRefusedWithAReason) {
  sim_options o;
  std::string err;
  EXPECT_FALSE(parse({"--mode", "warp"}, o, err));
  EXPECT_EQ(err, "unknown mode 'warp'");
  sim_options o2;
  EXPECT_FALSE(parse({"--mode", "http"}, o2, err));
  EXPECT_EQ(err, "http mode needs --target http://HOST:PORT");
  sim_options o3;
  EXPECT_FALSE(parse({"--abandon-share", "2"}, o3, err));
  EXPECT_EQ(err, "shares must be within [0, 1]");
  sim_options o4;
  EXPECT_FALSE(parse({"--users", "many"}, o4, err));
}

TEST(OptionsTest, WorkloadFileRoundTripsAndFlagsOverrideIt) {
  sim_options saved;
  saved.workload.users = 777;
  saved.workload.think_ms = 1234;
  saved.system.max_active = 5;
  saved.arrival_name = "ramp";
  const std::string path = ::testing::TempDir() + "/concert_sim_workload.json";
  std::ofstream{path} << knobs_to_json(saved).dump(2);
  sim_options o;
  std::string err;
  ASSERT_TRUE(parse({"--workload", path.c_str(), "--max-active", "9"}, o, err)) << err;
  EXPECT_EQ(o.workload.users, 777u);
  EXPECT_EQ(o.workload.think_ms, 1234);
  EXPECT_EQ(o.workload.arrival, arrival_pattern::ramp);
  EXPECT_EQ(o.system.max_active, 9) << "the flag wins over the file";
  EXPECT_EQ(knobs_to_json(o).size(), knobs_to_json(saved).size());
}

TEST(OptionsTest, UnknownOrMistypedKnobsInAFileAreRefused) {
  sim_options o;
  std::string err;
  EXPECT_FALSE(knobs_from_json(nlohmann::json{{"userz", 5}}, o, err));
  EXPECT_EQ(err, "the workload file has an unknown knob");
  err.clear();
  EXPECT_FALSE(knobs_from_json(nlohmann::json{{"users", "five"}}, o, err));
  EXPECT_EQ(err, "workload knob 'users' has the wrong type");
}

TEST(OptionsTest, SetKnobByName) {
  sim_options o;
  std::string err;
  EXPECT_TRUE(set_knob(o, "admit-per-second", "12.5", err));
  EXPECT_EQ(o.system.admit_per_second, 12.5);
  EXPECT_TRUE(set_knob(o, "demo-catalog", "true", err));
  EXPECT_TRUE(o.workload.demo_catalog);
  EXPECT_FALSE(set_knob(o, "max-active", "-", err));
  EXPECT_EQ(err, "bad value '-' for max-active");
  EXPECT_FALSE(set_knob(o, "users", "-5", err));
  EXPECT_FALSE(set_knob(o, "nope", "1", err));
  EXPECT_EQ(err, "unknown knob 'nope'");
}
