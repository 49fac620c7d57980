// The crowd model: plans are a pure function of knobs and seed, the shares and means
// come out as configured, arrival patterns keep their shape, and the integer-only
// exponential draw gives the same microseconds on every machine.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "simulation/workload.hpp"

using namespace concert;
using namespace concert::sim;

TEST(WorkloadTest, SameSeedSamePlansOtherSeedOtherPlans) {
  workload_config w;
  w.users = 500;
  auto a = make_plans(w, 7, 150'000), b = make_plans(w, 7, 150'000), c = make_plans(w, 8, 150'000);
  ASSERT_EQ(a.size(), 500u);
  bool all_same = true, any_diff = false;
  for (size_t i = 0; i < a.size(); ++i) {
    all_same &= a[i].arrival == b[i].arrival && a[i].stream == b[i].stream &&
                a[i].patience == b[i].patience && a[i].seats_wanted == b[i].seats_wanted;
    any_diff |= a[i].arrival != c[i].arrival;
  }
  EXPECT_TRUE(all_same);
  EXPECT_TRUE(any_diff);
  EXPECT_EQ(a.front().user, 1u);
  EXPECT_EQ(a.back().user, 500u);
}

TEST(WorkloadTest, SharesComeOutAsConfigured) {
  workload_config w;
  w.users = 20'000;
  w.lacks_points_share = 0.2;
  w.never_pay_share = 0.05;
  w.abandon_share = 0.1;
  w.multi_seat_share = 0.25;
  w.max_seats = 3;
  auto plans = make_plans(w, 1, 100'000);
  uint64_t lacks = 0, never = 0, abandon = 0, multi = 0;
  for (const auto& p : plans) {
    lacks += p.lacks_points;
    never += p.never_pays;
    abandon += p.patience > 0;
    multi += p.seats_wanted > 1;
    EXPECT_LE(p.seats_wanted, 3u);
    EXPECT_EQ(p.budget, p.lacks_points ? 0 : 100'000 * static_cast<points>(p.seats_wanted));
  }
  EXPECT_NEAR(lacks / 20'000.0, 0.20, 0.015);
  EXPECT_NEAR(never / 20'000.0, 0.05, 0.01);
  EXPECT_NEAR(abandon / 20'000.0, 0.10, 0.01);
  EXPECT_NEAR(multi / 20'000.0, 0.25, 0.015);
}

TEST(WorkloadTest, ExponentialDrawHasItsMeanAndIsCapped) {
  rng r{3};
  const time_us mean = 5'000'000;
  double sum = 0;
  time_us top = 0;
  const int n = 200'000;
  for (int i = 0; i < n; ++i) {
    time_us v = exponential_us(r, mean);
    ASSERT_GE(v, 0);
    sum += static_cast<double>(v);
    top = std::max(top, v);
  }
  EXPECT_NEAR(sum / n / mean, 1.0, 0.01);
  EXPECT_LE(top, 20 * mean);
  EXPECT_EQ(exponential_us(r, 0), 0);
}

TEST(WorkloadTest, ExponentialDrawIsTheSameEverywhere) {
  // Golden values: integer arithmetic only, so any machine must print exactly these.
  rng r{42};
  const time_us got[4] = {exponential_us(r, 1'000'000), exponential_us(r, 1'000'000),
                          exponential_us(r, 1'000'000), exponential_us(r, 1'000'000)};
  rng check{42};
  for (time_us g : got) {
    const double u = static_cast<double>(check.next()) / 18446744073709551616.0;
    EXPECT_NEAR(static_cast<double>(g), -std::log(u) * 1e6, 2.0) << "fixed point tracks -ln(u)";
  }
  EXPECT_EQ(got[0], 298'992);
  EXPECT_EQ(got[1], 1'833'141);
  EXPECT_EQ(got[2], 1'277'974);
  EXPECT_EQ(got[3], 1'066'559);
}

TEST(WorkloadTest, ArrivalPatternsKeepTheirShape) {
  workload_config w;
  w.users = 10'000;
  w.arrival = arrival_pattern::onsale;
  w.onsale_spread_ms = 10'000;
  for (const auto& p : make_plans(w, 5, 1)) {
    EXPECT_GE(p.arrival, 0);
    EXPECT_LT(p.arrival, seconds_us(10));
  }
  w.arrival = arrival_pattern::poisson;
  w.arrival_rate = 100;
  auto poisson = make_plans(w, 5, 1);
  for (size_t i = 1; i < poisson.size(); ++i) EXPECT_GE(poisson[i].arrival, poisson[i - 1].arrival);
  EXPECT_NEAR(static_cast<double>(poisson.back().arrival) / 1e6, 100.0, 5.0)
      << "10,000 fans at 100/s take about 100 s";
  w.arrival = arrival_pattern::ramp;
  w.ramp_seconds = 100;
  uint64_t late = 0;
  for (const auto& p : make_plans(w, 5, 1)) {
    EXPECT_LT(p.arrival, seconds_us(100));
    late += p.arrival >= seconds_us(50);
  }
  EXPECT_NEAR(late / 10'000.0, 0.75, 0.02) << "a linear ramp puts 3/4 in the second half";
}

TEST(WorkloadTest, ValidateRejectsNonsense) {
  workload_config w;
  EXPECT_EQ(validate(w), "");
  w.abandon_share = 1.5;
  EXPECT_NE(validate(w), "");
  w = {};
  w.users = 0;
  EXPECT_NE(validate(w), "");
  w = {};
  w.arrival = arrival_pattern::poisson;
  w.arrival_rate = 0;
  EXPECT_NE(validate(w), "");
  EXPECT_EQ(to_ppm(0.25), 250'000u);
  EXPECT_EQ(to_ppm(2), 1'000'000u);
  EXPECT_EQ(to_ppm(-1), 0u);
}
