// Draws the crowd: arrival times, traits and a generator seed per fan. Every draw goes
// through concert::rng and integer arithmetic, so a seed gives the same crowd anywhere.

#include "simulation/workload.hpp"

#include <cmath>

namespace concert::sim {

std::string to_string(arrival_pattern p) {
  switch (p) {
    case arrival_pattern::onsale:
      return "onsale";
    case arrival_pattern::poisson:
      return "poisson";
    case arrival_pattern::ramp:
      return "ramp";
  }
  return "onsale";
}

std::string to_string(seat_preference p) { return p == seat_preference::best ? "best" : "any"; }

bool parse(const std::string& s, arrival_pattern& out) {
  for (auto p : {arrival_pattern::onsale, arrival_pattern::poisson, arrival_pattern::ramp})
    if (s == to_string(p)) {
      out = p;
      return true;
    }
  return false;
}

bool parse(const std::string& s, seat_preference& out) {
  for (auto p : {seat_preference::best, seat_preference::any})
    if (s == to_string(p)) {
      out = p;
      return true;
    }
  return false;
}

uint32_t to_ppm(double share) {
  if (!(share > 0)) return 0;
  if (share >= 1) return 1'000'000;
  return static_cast<uint32_t>(std::llround(share * 1e6));
}

namespace {

__extension__ typedef unsigned __int128 u128;  // GCC/Clang; __extension__ keeps -Wpedantic quiet

/// -log2(x / 2^64) for x >= 1, in Q32 fixed point, by the bit-by-bit squaring method.
uint64_t neg_log2_q32(uint64_t x) {
  const int msb = 63 - __builtin_clzll(x);
  // x = 2^msb * m with m in [1, 2); keep m in Q62.
  auto m = static_cast<uint64_t>((static_cast<u128>(x) << 62) >> msb);
  uint64_t frac = 0;
  for (int bit = 31; bit >= 0; --bit) {
    m = static_cast<uint64_t>((static_cast<u128>(m) * m) >> 62);  // [1, 4)
    if (m >= (uint64_t{2} << 62)) {
      m >>= 1;
      frac |= uint64_t{1} << bit;
    }
  }
  return (static_cast<uint64_t>(64 - msb) << 32) - frac;
}

constexpr uint64_t ln2_q32 = 2'977'044'472;  // ln(2) * 2^32, rounded

time_us arrival_of(const workload_config& cfg, rng& r, time_us& poisson_clock) {
  switch (cfg.arrival) {
    case arrival_pattern::onsale: {
      auto spread = static_cast<uint64_t>(std::max<int64_t>(0, cfg.onsale_spread_ms) * 1000);
      return spread == 0 ? 0 : static_cast<time_us>(r.below(spread));
    }
    case arrival_pattern::poisson: {
      auto mean = static_cast<time_us>(std::llround(1e6 / cfg.arrival_rate));
      poisson_clock += exponential_us(r, mean);
      return poisson_clock;
    }
    case arrival_pattern::ramp: {
      // The larger of two uniform draws has a density growing linearly: a ramp.
      auto window = static_cast<uint64_t>(std::max<int64_t>(1, cfg.ramp_seconds) * 1'000'000);
      auto a = r.below(window), b = r.below(window);
      return static_cast<time_us>(std::max(a, b));
    }
  }
  return 0;
}

}  // namespace

time_us exponential_us(rng& r, time_us mean) {
  if (mean <= 0) return 0;
  uint64_t x = r.next();
  if (x == 0) x = 1;
  auto ln_q32 =
      static_cast<uint64_t>((static_cast<u128>(neg_log2_q32(x)) * ln2_q32) >> 32);  // -ln(u), Q32
  auto v = static_cast<time_us>((static_cast<u128>(mean) * ln_q32) >> 32);
  return std::min(v, mean * 20);
}

std::vector<fan_plan> make_plans(const workload_config& cfg, uint64_t seed, points max_price) {
  rng master{seed};
  rng arrivals = master.split();  // separate streams: a new trait does not move arrivals
  rng traits = master.split();
  rng streams = master.split();
  const uint32_t abandon = to_ppm(cfg.abandon_share), leave = to_ppm(cfg.abandon_leave_share),
                 never = to_ppm(cfg.never_pay_share), lacks = to_ppm(cfg.lacks_points_share),
                 dup = to_ppm(cfg.duplicate_pay_share), multi = to_ppm(cfg.multi_seat_share);
  std::vector<fan_plan> plans(cfg.users);
  time_us poisson_clock = 0;
  for (uint64_t i = 0; i < cfg.users; ++i) {
    auto& p = plans[i];
    rng t = traits.split();
    p.user = i + 1;
    p.arrival = arrival_of(cfg, arrivals, poisson_clock);
    if (t.chance_ppm(abandon)) {
      p.patience = std::max<time_us>(1, exponential_us(t, seconds_us(cfg.patience_seconds)));
      p.leaves_explicitly = t.chance_ppm(leave);
    }
    p.never_pays = t.chance_ppm(never);
    p.lacks_points = t.chance_ppm(lacks);
    p.duplicate_pay = t.chance_ppm(dup);
    p.seats_wanted = 1;
    if (cfg.max_seats > 1 && t.chance_ppm(multi))
      p.seats_wanted = 2 + static_cast<uint32_t>(t.below(cfg.max_seats - 1));
    p.budget = p.lacks_points ? 0 : max_price * p.seats_wanted;
    p.stream = streams.next();
  }
  return plans;
}

std::string validate(const workload_config& cfg) {
  if (cfg.users == 0) return "users must be positive";
  if (cfg.arrival == arrival_pattern::poisson && !(cfg.arrival_rate > 0))
    return "arrival-rate must be positive";
  if (cfg.think_ms < 0 || cfg.onsale_spread_ms < 0 || cfg.ramp_seconds < 0 ||
      cfg.patience_seconds < 0)
    return "times must not be negative";
  for (double s : {cfg.abandon_share, cfg.abandon_leave_share, cfg.never_pay_share,
                   cfg.lacks_points_share, cfg.duplicate_pay_share, cfg.multi_seat_share})
    if (!(s >= 0 && s <= 1)) return "shares must be within [0, 1]";
  if (cfg.max_seats == 0) return "max-seats must be at least 1";
  if (cfg.max_visits == 0) return "max-visits must be at least 1";
  if (cfg.best_window == 0) return "best-window must be at least 1";
  if (!cfg.demo_catalog &&
      (cfg.seats_per_schedule == 0 || cfg.schedules_per_concert == 0 || cfg.seats_per_1000 == 0))
    return "the synthetic catalog needs seats";
  return {};
}

}  // namespace concert::sim
