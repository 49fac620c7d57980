// The workload model of the simulation: what kind of crowd arrives (how many, when, how
// patient, how many seats they want, who never pays or lacks points) as plain knobs, and
// the per-fan plans drawn from them with the project's seeded generator. Plain C++: no
// CAF, no clock; times are integer microseconds since the on-sale moment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/rng.hpp"
#include "actors/types.hpp"

namespace concert::sim {

/// How fans arrive after the on-sale moment.
enum class arrival_pattern : uint8_t {
  onsale,   ///< everyone at once, spread uniformly over a short window (a real on-sale)
  poisson,  ///< exponential gaps at a constant rate
  ramp,     ///< density growing linearly from zero over a window (word of mouth)
};

/// Which seats a fan goes for.
enum class seat_preference : uint8_t {
  best,  ///< one of the first few available (front rows first): real contention
  any,   ///< any available seat, uniformly
};

std::string to_string(arrival_pattern p);
std::string to_string(seat_preference p);
/// Parse the names above; false when unknown.
bool parse(const std::string& s, arrival_pattern& out);
bool parse(const std::string& s, seat_preference& out);

/// Every knob of the crowd. Shares are fractions in [0, 1]; they become parts per
/// million once, when plans are drawn, so no floating point reaches a decision later.
struct workload_config {
  uint64_t users = 10'000;
  arrival_pattern arrival = arrival_pattern::onsale;
  int64_t onsale_spread_ms = 10'000;  ///< onsale: arrivals uniform over this window
  double arrival_rate = 50;           ///< poisson: fans per second
  int64_t ramp_seconds = 600;         ///< ramp: all fans arrive within this window
  int64_t think_ms = 3'000;           ///< mean think time between two steps (exponential)
  double abandon_share = 0.10;        ///< fans who give up while waiting in line
  int64_t patience_seconds = 900;     ///< mean patience of those fans (exponential)
  double abandon_leave_share = 0.5;   ///< of those, who leave explicitly (others go silent)
  double never_pay_share = 0.05;      ///< fans who hold seats and never pay
  double lacks_points_share = 0.20;   ///< fans with no points: refused first, charge, pay
  double duplicate_pay_share = 0.02;  ///< fans who send their payment twice (same key)
  seat_preference preference = seat_preference::best;
  uint32_t best_window = 4;        ///< best: pick among the first this many seats
  uint32_t max_seats = 2;          ///< most seats one fan wants
  double multi_seat_share = 0.25;  ///< fans wanting 2..max_seats seats (others want 1)
  uint32_t max_visits = 2;         ///< times a fan queues (again) for unbought seats
  uint32_t browse_limit = 3;       ///< schedule and seat listings per visit
  uint32_t conflict_limit = 3;     ///< hold conflicts before refreshing the listing
  uint32_t refresh_limit = 2;      ///< seat-listing refreshes per visit
  // The catalog the fans buy from: a synthetic one sized from the crowd, or the demo one.
  bool demo_catalog = false;
  uint32_t seats_per_1000 = 70;        ///< seats on sale per 1,000 fans (synthetic)
  uint32_t seats_per_schedule = 200;   ///< synthetic
  uint32_t schedules_per_concert = 5;  ///< synthetic
};

/// One fan's fixed traits, drawn before the run.
struct fan_plan {
  user_id user = 0;
  time_us arrival = 0;             ///< µs after the on-sale moment
  time_us patience = 0;            ///< waiting longer than this makes the fan give up; 0 = never
  bool leaves_explicitly = false;  ///< an abandoning fan says so (else goes silent)
  bool never_pays = false;
  bool lacks_points = false;
  bool duplicate_pay = false;
  uint32_t seats_wanted = 1;
  points budget = 0;    ///< points charged before queueing (0 for fans lacking points)
  uint64_t stream = 0;  ///< seed of the fan's own generator (choices, think times)
};

/// Parts per million of a share, rounded and clamped to [0, 1e6].
uint32_t to_ppm(double share);

/// An exponential draw with the given mean, in integer arithmetic only (a fixed-point
/// -ln(u)), so the same generator state gives the same µs on any machine. Capped at
/// 20 times the mean; 0 for a mean <= 0.
time_us exponential_us(rng& r, time_us mean);

/// The plans of `cfg.users` fans, user ids 1..users, from `seed`. `max_price` sizes the
/// budget of fans who have points (enough for every seat they want at any price).
std::vector<fan_plan> make_plans(const workload_config& cfg, uint64_t seed, points max_price);

/// Empty when the knobs make sense; otherwise what is wrong.
std::string validate(const workload_config& cfg);

}  // namespace concert::sim
