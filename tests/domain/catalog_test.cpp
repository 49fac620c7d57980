// Unit tests of the built-in catalogs and of validate(): the demo catalog's fixed ids,
// dates and price tiers (clients and the README rely on them), synthetic sizes, and every
// kind of bad catalog data being rejected.
#include "actors/catalog.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

namespace concert {
namespace {

TEST(DemoCatalog, HasThreeConcertsWithFixedIds) {
  auto c = demo_catalog();
  ASSERT_EQ(c.concerts.size(), 3u);
  for (concert_id i = 0; i < 3; ++i) {
    EXPECT_EQ(c.concerts[i].id, i + 1);
    EXPECT_FALSE(c.concerts[i].title.empty());
    EXPECT_FALSE(c.concerts[i].performer.empty());
    EXPECT_FALSE(c.concerts[i].venue.empty());
  }
}

TEST(DemoCatalog, HasThreeSchedulesPerConcertOf50Seats) {
  auto c = demo_catalog();
  ASSERT_EQ(c.schedules.size(), 9u);
  for (schedule_id i = 0; i < 9; ++i) {
    EXPECT_EQ(c.schedules[i].id, i + 1);
    EXPECT_EQ(c.schedules[i].concert, i / 3 + 1);
    EXPECT_EQ(c.schedules[i].prices.size(), 50u);
  }
}

TEST(DemoCatalog, DatesAreFixedInDecember2026AndJanuary2027Utc) {
  auto c = demo_catalog();
  // 2026-12-24T19:00:00Z is 1798138800 s after the epoch (date -u -d ... +%s).
  EXPECT_EQ(c.schedules[0].starts_at, seconds_us(1'798'138'800));
  const time_us dec_1_2026 = seconds_us(1'796'083'200);  // 2026-12-01T00:00:00Z
  const time_us feb_1_2027 = seconds_us(1'801'440'000);  // 2027-02-01T00:00:00Z
  for (const auto& s : c.schedules) {
    EXPECT_GE(s.starts_at, dec_1_2026) << "schedule " << s.id;
    EXPECT_LT(s.starts_at, feb_1_2027) << "schedule " << s.id;
  }
  for (size_t i = 1; i < c.schedules.size(); ++i)
    EXPECT_LT(c.schedules[i - 1].starts_at, c.schedules[i].starts_at);
}

TEST(DemoCatalog, PricesComeInThreeTiers) {
  for (const auto& s : demo_catalog().schedules) {
    for (seat_no seat = 1; seat <= 50; ++seat) {
      points want = seat <= 10 ? 150'000 : seat <= 30 ? 100'000 : 60'000;
      EXPECT_EQ(s.prices[seat - 1], want) << "schedule " << s.id << " seat " << seat;
    }
  }
}

TEST(DemoCatalog, IsValidAndTheSameEveryTime) {
  auto a = demo_catalog();
  auto b = demo_catalog();
  EXPECT_EQ(validate(a), "");
  ASSERT_EQ(a.schedules.size(), b.schedules.size());
  for (size_t i = 0; i < a.schedules.size(); ++i) {
    EXPECT_EQ(a.schedules[i].starts_at, b.schedules[i].starts_at);
    EXPECT_EQ(a.schedules[i].prices, b.schedules[i].prices);
  }
  EXPECT_EQ(a.concerts[2].title, b.concerts[2].title);
}

TEST(SyntheticCatalog, HasTheRequestedSizesAndUniqueIds) {
  auto c = synthetic_catalog(4, 5, 120);
  EXPECT_EQ(validate(c), "");
  EXPECT_EQ(c.concerts.size(), 4u);
  ASSERT_EQ(c.schedules.size(), 20u);
  std::set<schedule_id> ids;
  for (const auto& s : c.schedules) {
    ids.insert(s.id);
    EXPECT_EQ(s.prices.size(), 120u);
    EXPECT_EQ(s.prices.front(), 150'000);
    EXPECT_EQ(s.prices.back(), 60'000);
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(*ids.begin(), 1u);
  EXPECT_EQ(c.schedules[5].concert, 2u);
}

TEST(SyntheticCatalog, OneSeatSchedulesAreValid) {
  EXPECT_EQ(validate(synthetic_catalog(1, 1, 1)), "");
}

TEST(Validate, RejectsBadData) {
  struct row {
    const char* name;
    std::function<void(catalog_data&)> spoil;
    const char* mentions;
  };
  const row rows[] = {
      {"concert id 0", [](catalog_data& c) { c.concerts[0].id = 0; }, "concert id 0"},
      {"duplicate concert", [](catalog_data& c) { c.concerts[1].id = 1; }, "duplicate"},
      {"empty title", [](catalog_data& c) { c.concerts[2].title.clear(); }, "title"},
      {"schedule id 0", [](catalog_data& c) { c.schedules[4].id = 0; }, "schedule id 0"},
      {"duplicate schedule", [](catalog_data& c) { c.schedules[8].id = 2; }, "duplicate"},
      {"unknown concert", [](catalog_data& c) { c.schedules[3].concert = 99; }, "unknown concert"},
      {"no seats", [](catalog_data& c) { c.schedules[5].prices.clear(); }, "no seats"},
      {"zero price", [](catalog_data& c) { c.schedules[0].prices[7] = 0; }, "seat 8"},
      {"negative price", [](catalog_data& c) { c.schedules[0].prices[49] = -1; }, "seat 50"},
  };
  for (const auto& r : rows) {
    auto c = demo_catalog();
    r.spoil(c);
    auto problem = validate(c);
    EXPECT_NE(problem.find(r.mentions), std::string::npos) << r.name << ": '" << problem << "'";
  }
}

}  // namespace
}  // namespace concert
