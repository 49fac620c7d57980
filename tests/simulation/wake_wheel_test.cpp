// The driver's timing wheel must hand fans back exactly like a priority queue ordered by
// (due tick, push order), across wrap-around, overflow and long jumps of the clock.

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "actors/rng.hpp"
#include "simulation/wake_wheel.hpp"

using namespace concert;
using namespace concert::sim;

TEST(WakeWheelTest, RoundsUpAndKeepsPushOrderWithinATick) {
  wake_wheel w{1000, 8};
  w.push(1'500, 1);  // tick 2
  w.push(1'001, 2);  // tick 2, pushed later
  w.push(1'000, 3);  // tick 1
  EXPECT_EQ(w.next(), 1'000);
  std::vector<uint32_t> out;
  w.pop_due(999, out);
  EXPECT_TRUE(out.empty());
  w.pop_due(2'000, out);
  EXPECT_EQ(out, (std::vector<uint32_t>{3, 1, 2}));
  EXPECT_EQ(w.size(), 0u);
  EXPECT_FALSE(w.next().has_value());
}

TEST(WakeWheelTest, FarEntriesWaitInTheOverflowAndComeBackInOrder) {
  wake_wheel w{1000, 4};  // spans 4 ms
  w.push(50'000, 7);      // far: overflow
  w.push(3'000, 8);
  EXPECT_EQ(w.next(), 3'000);
  std::vector<uint32_t> out;
  w.pop_due(3'000, out);
  EXPECT_EQ(out, std::vector<uint32_t>{8});
  EXPECT_EQ(w.next(), 50'000);
  w.push(50'000, 9);  // same tick, pushed after 7 (still beyond the span: overflow)
  w.pop_due(49'999, out);
  EXPECT_EQ(out.size(), 1u);
  w.push(50'000, 10);  // now within the span: a slot, after 7 and 9
  out.clear();
  w.pop_due(1'000'000, out);
  EXPECT_EQ(out, (std::vector<uint32_t>{7, 9, 10}));
}

TEST(WakeWheelTest, MatchesASortedReferenceUnderRandomUse) {
  wake_wheel w{1000, 64};
  rng r{17};
  std::vector<std::tuple<int64_t, uint64_t, uint32_t>> ref;  // tick, seq, fan
  uint64_t seq = 0;
  time_us now = 0;
  std::vector<uint32_t> got, want;
  for (int round = 0; round < 2'000; ++round) {
    for (int i = 0, n = static_cast<int>(r.below(5)); i < n; ++i) {
      const time_us due =
          now + 1 + static_cast<time_us>(r.below(r.chance_ppm(100'000) ? 500'000 : 80'000));
      const auto fan = static_cast<uint32_t>(seq);
      w.push(due, fan);
      ref.emplace_back((due + 999) / 1000, seq++, fan);
    }
    now += static_cast<time_us>(r.below(r.chance_ppm(50'000) ? 300'000 : 5'000));
    got.clear();
    w.pop_due(now, got);
    std::sort(ref.begin(), ref.end());
    want.clear();
    auto keep = ref.begin();
    while (keep != ref.end() && std::get<0>(*keep) <= now / 1000)
      want.push_back(std::get<2>(*keep++));
    ref.erase(ref.begin(), keep);
    ASSERT_EQ(got, want) << "round " << round;
    ASSERT_EQ(w.size(), ref.size());
    if (!ref.empty()) {
      ASSERT_EQ(w.next(), std::get<0>(ref.front()) * 1000);
    }
  }
}
