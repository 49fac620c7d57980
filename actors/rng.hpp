// The seeded generator every actor and the simulation draw from. splitmix64 is fully
// specified, and ranges are reduced by multiply-shift rather than a std distribution
// (whose output differs between standard libraries), so a seed replays exactly anywhere.
#pragma once

#include <cstdint>

namespace concert {

__extension__ using uint128 = unsigned __int128;  // GCC/Clang builtin; quiet under -Wpedantic

class rng {
 public:
  explicit rng(uint64_t seed = 0) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<uint128>(next()) * n) >> 64);
  }
  /// True with probability per_million / 1e6.
  bool chance_ppm(uint32_t per_million) { return below(1'000'000) < per_million; }
  /// A generator for a sub-stream, so adding draws in one place does not shift another.
  rng split() { return rng{next()}; }

 private:
  uint64_t state_;
};

}  // namespace concert
