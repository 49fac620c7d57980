// Runs every scenario file in simulation/scenarios/ (each a scripted story of fans on
// the virtual clock with the outcomes it must get, then the run's invariant checks),
// and checks the scenario language itself: its errors name the line.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "simulation/scenario.hpp"

using namespace concert;
using namespace concert::sim;

namespace {

std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(CONCERT_SCENARIO_DIR))
    if (e.path().extension() == ".scn") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

class ScenarioFile : public ::testing::TestWithParam<std::string> {};

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = std::filesystem::path(info.param).stem().string();
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

}  // namespace

TEST_P(ScenarioFile, GetsEveryExpectedOutcomeAndKeepsTheInvariants) {
  const scenario_result r = run_scenario_file(GetParam());
  std::string why;
  for (const auto& f : r.failures) why += f + "\n";
  EXPECT_TRUE(r.ok) << why << "transcript:\n" << r.transcript;
}

INSTANTIATE_TEST_SUITE_P(Files, ScenarioFile, ::testing::ValuesIn(scenario_files()), test_name);

TEST(ScenarioTest, ThereAreAtLeastTenScenarios) { EXPECT_GE(scenario_files().size(), 10u); }

TEST(ScenarioTest, ParsesStepsTimesAndExpectations) {
  scenario s;
  std::string err;
  ASSERT_TRUE(
      parse_scenario("config max-active 1  # one at a time\n"
                     "catalog synthetic 1 2 10\n"
                     "at 1500ms user 3 hold schedule 2 seat 7 as r -> CREATED price 5\n"
                     "at +2m user 3 pay r key k twice -> CREATED\n"
                     "at 1h seat schedule 2 seat 7 -> SOLD\n"
                     "at 1h user 4 token -> CREATED waiting position 2\n",
                     s, err))
      << err;
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.config.at(0), std::make_pair(std::string("max-active"), std::string("1")));
  EXPECT_FALSE(s.demo_catalog);
  EXPECT_EQ(s.seats_per_schedule, 10u);
  EXPECT_EQ(s.steps[0].at, 1'500'000);
  EXPECT_EQ(s.steps[0].kind, step_kind::hold);
  EXPECT_EQ(s.steps[0].name, "r");
  EXPECT_EQ(s.steps[0].expect.fields.at(0).first, "price");
  EXPECT_EQ(s.steps[1].at, 1'500'000 + seconds_us(120)) << "+2m is relative";
  EXPECT_TRUE(s.steps[1].twice);
  EXPECT_EQ(s.steps[1].key, "k");
  EXPECT_EQ(s.steps[2].kind, step_kind::seat);
  EXPECT_EQ(s.steps[2].expect.outcome, "SOLD");
  EXPECT_EQ(s.steps[3].expect.fields.at(0), std::make_pair(std::string("waiting"), std::string()));
  EXPECT_EQ(s.steps[3].expect.fields.at(1),
            std::make_pair(std::string("position"), std::string("2")));
}

TEST(ScenarioTest, ErrorsNameTheLine) {
  scenario s;
  std::string err;
  EXPECT_FALSE(parse_scenario("at 5s user 1 token\nat 4s user 1 poll\n", s, err));
  EXPECT_EQ(err, "line 2: time runs backwards");
  EXPECT_FALSE(parse_scenario("\n\nat 5x user 1 token\n", s, err));
  EXPECT_EQ(err, "line 3: bad time");
  EXPECT_FALSE(parse_scenario("at 5s user 1 fly\n", s, err));
  EXPECT_EQ(err, "line 1: unknown step 'fly'");
  EXPECT_FALSE(parse_scenario("at 5s user 1 hold schedule 1\n", s, err));
  EXPECT_EQ(err, "line 1: bad arguments for hold");
  EXPECT_FALSE(parse_scenario("at 5s user 1 token ->\n", s, err));
  EXPECT_EQ(err, "line 1: bad expectation after ->");
}

TEST(ScenarioTest, AWrongExpectationFailsTheScenario) {
  scenario s;
  std::string err;
  ASSERT_TRUE(
      parse_scenario("at 0s user 1 token -> CREATED waiting\n"
                     "at 1s user 1 pay nothing -> CREATED\n",
                     s, err));
  auto r = run_scenario(s);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0], "line 1: expected waiting, which the reply does not have");
  EXPECT_NE(r.failures[1].find("no reservation named 'nothing'"), std::string::npos);
}

TEST(ScenarioTest, UnknownConfigKnobIsRefused) {
  scenario s;
  std::string err;
  ASSERT_TRUE(parse_scenario("config max-activ 1\n", s, err));
  auto r = run_scenario(s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failures.at(0), "config: unknown knob 'max-activ'");
}
