// The capacity-planning output: a sweep spec parses, the CSV has one row per run with
// the fixed header, and the HTML page is self-contained with its three charts.

#include <gtest/gtest.h>

#include "simulation/sweep.hpp"

using namespace concert;
using namespace concert::sim;

namespace {

run_report fake_run(double p50, uint64_t sold) {
  run_report r;
  r.seed = 4;
  r.users = 100;
  r.counts.seats_sold = sold;
  r.wait_seconds[0] = p50;
  r.wait_seconds[1] = 2 * p50;
  r.digest = "00000000deadbeef";
  r.series = {{0, 90, 10, 0}, {seconds_us(60), 40, 10, sold / 2}, {seconds_us(120), 0, 3, sold}};
  return r;
}

}  // namespace

TEST(SweepTest, ParsesKnobAndValues) {
  std::string knob, err;
  std::vector<std::string> values;
  ASSERT_TRUE(parse_sweep("admit-per-second=1,2,5,10", knob, values, err));
  EXPECT_EQ(knob, "admit-per-second");
  EXPECT_EQ(values, (std::vector<std::string>{"1", "2", "5", "10"}));
  EXPECT_FALSE(parse_sweep("admit-per-second", knob, values, err));
  EXPECT_FALSE(parse_sweep("max-active=", knob, values, err));
  EXPECT_EQ(err, "the sweep lists no values");
}

TEST(SweepTest, CsvHasAHeaderAndOneRowPerRun) {
  const std::string csv =
      sweep_csv("max-active", {"10", "20"}, {fake_run(30, 50), fake_run(10, 60)});
  std::vector<std::string> rows;
  std::stringstream in{csv};
  for (std::string l; std::getline(in, l);) rows.push_back(l);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].rfind("max-active,seed,users,", 0), 0u);
  EXPECT_EQ(rows[1].rfind("10,4,100,", 0), 0u);
  EXPECT_NE(rows[2].find(",60,"), std::string::npos) << "seats sold of the second run";
  EXPECT_EQ(rows[2].substr(rows[2].size() - 16), "00000000deadbeef");
}

TEST(SweepTest, HtmlIsSelfContainedWithThreeCharts) {
  sim_options base;
  const std::string html =
      sweep_html("hold-seconds", {"60", "<300>"}, {fake_run(30, 50), fake_run(10, 60)}, base);
  size_t svgs = 0;
  for (size_t at = 0; (at = html.find("<svg", at)) != std::string::npos; ++at) ++svgs;
  EXPECT_EQ(svgs, 3u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos) << "no external resources";
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("&lt;300&gt;"), std::string::npos) << "values are escaped";
  EXPECT_EQ(html.find("<300>"), std::string::npos);
  EXPECT_NE(html.find("Wait before admission"), std::string::npos);
}
