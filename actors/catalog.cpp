// The built-in catalogs (the demo one for `--demo-catalog`, synthetic ones for simulations)
// and the check every catalog passes before actors are spawned for it. Dates are computed
// from calendar fields in UTC, never from the local time zone, so every machine agrees.
#include "actors/catalog.hpp"

#include <set>
#include <string>

namespace concert {

namespace {

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

/// A UTC wall-clock instant as time_us.
time_us utc(int64_t y, unsigned m, unsigned d, unsigned hour, unsigned minute) {
  return seconds_us(days_from_civil(y, m, d) * 86400 + hour * 3600 + minute * 60);
}

/// Price tiers by seat position: the front fifth, the next two fifths, the rest.
/// For 50 seats: 1-10 = 150,000, 11-30 = 100,000, 31-50 = 60,000 points.
std::vector<points> tiered_prices(uint32_t seats) {
  std::vector<points> prices;
  prices.reserve(seats);
  for (uint32_t i = 0; i < seats; ++i) {
    uint64_t fifths = uint64_t{i} * 5 / seats;  // 0..4 by position
    prices.push_back(fifths < 1 ? 150'000 : fifths < 3 ? 100'000 : 60'000);
  }
  return prices;
}

}  // namespace

catalog_data demo_catalog() {
  catalog_data c;
  c.concerts = {
      {1, "Winter Symphony Night", "Seoul Philharmonic Orchestra", "Lotte Concert Hall"},
      {2, "New Year Countdown Live", "The Midnight Owls", "Olympic Hall"},
      {3, "Piano Recital: Chopin and Liszt", "Mira Han", "Seoul Arts Center"},
  };
  const time_us starts[9] = {
      utc(2026, 12, 24, 19, 0), utc(2026, 12, 25, 19, 0), utc(2026, 12, 26, 17, 0),
      utc(2026, 12, 31, 22, 0), utc(2027, 1, 1, 18, 0),   utc(2027, 1, 2, 18, 0),
      utc(2027, 1, 15, 19, 30), utc(2027, 1, 16, 19, 30), utc(2027, 1, 17, 15, 0),
  };
  for (schedule_id id = 1; id <= 9; ++id)
    c.schedules.push_back({id, (id - 1) / 3 + 1, starts[id - 1], tiered_prices(50)});
  return c;
}

catalog_data synthetic_catalog(uint32_t concerts, uint32_t schedules_per_concert,
                               uint32_t seats_per_schedule) {
  catalog_data c;
  const time_us first = utc(2027, 3, 1, 19, 0);
  schedule_id next = 1;
  for (concert_id k = 1; k <= concerts; ++k) {
    auto n = std::to_string(k);
    c.concerts.push_back({k, "Concert " + n, "Performer " + n, "Venue " + n});
    for (uint32_t j = 0; j < schedules_per_concert; ++j, ++next)
      c.schedules.push_back({next, k, first + seconds_us(86400) * static_cast<time_us>(next - 1),
                             tiered_prices(seats_per_schedule)});
  }
  return c;
}

std::string validate(const catalog_data& c) {
  std::set<concert_id> concerts;
  for (const auto& k : c.concerts) {
    auto name = "concert " + std::to_string(k.id);
    if (k.id == 0) return "concert id 0";
    if (!concerts.insert(k.id).second) return name + ": duplicate id";
    if (k.title.empty()) return name + ": empty title";
  }
  std::set<schedule_id> schedules;
  for (const auto& s : c.schedules) {
    auto name = "schedule " + std::to_string(s.id);
    if (s.id == 0) return "schedule id 0";
    if (!schedules.insert(s.id).second) return name + ": duplicate id";
    if (concerts.count(s.concert) == 0)
      return name + ": unknown concert " + std::to_string(s.concert);
    if (s.prices.empty()) return name + ": no seats";
    for (size_t i = 0; i < s.prices.size(); ++i)
      if (s.prices[i] <= 0) return name + ": seat " + std::to_string(i + 1) + " has no price";
  }
  return {};
}

}  // namespace concert
