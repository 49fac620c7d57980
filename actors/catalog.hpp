// What is on sale: concerts, their schedules and the price of every seat. Plain data,
// loaded once at start (the built-in demo catalog, or from the store), then owned by
// the catalog, schedule and seat-block actors.
#pragma once

#include <string>
#include <vector>

#include "actors/types.hpp"

namespace concert {

struct schedule_def {
  schedule_id id = 0;
  concert_id concert = 0;
  time_us starts_at = 0;
  std::vector<points> prices;  ///< prices[i] is the price of seat i + 1
};

struct catalog_data {
  std::vector<concert_info> concerts;
  std::vector<schedule_def> schedules;
};

/// Several concerts, several schedules each, 50 seats a schedule in three price tiers.
/// Fixed dates and ids, so every run and every machine sees the same catalog.
catalog_data demo_catalog();

/// A catalog of `schedules` schedules with `seats_per_schedule` seats (simulation sizes).
catalog_data synthetic_catalog(uint32_t concerts, uint32_t schedules_per_concert,
                               uint32_t seats_per_schedule);

/// Empty when the catalog is usable; otherwise what is wrong (duplicate or zero ids,
/// a schedule of an unknown concert, no seats, a non-positive price).
std::string validate(const catalog_data& c);

}  // namespace concert
