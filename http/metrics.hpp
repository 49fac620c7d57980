// Request metrics of the edge in Prometheus text format: counts and latency histograms
// by route template, method and status, connection-level rejections, open connections,
// plus the gate and seat figures the actors report. Thread-safe (io threads record,
// a bridge actor renders); series are kept in ordered maps so output order is stable.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "actors/types.hpp"

namespace concert::http {

class metrics {
 public:
  /// Upper bounds of the latency buckets, in seconds (+Inf is implicit).
  static constexpr std::array<double, 13> bucket_bounds_s{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

  /// One answered request. `route` is the template ("/api/v1/concerts/{concertId}/
  /// schedules") or "unmatched", so label cardinality stays bounded.
  void record(std::string_view route, std::string_view method, unsigned status, double seconds);
  /// One connection-level refusal (timeout, body_limit, header_limit, bad_http, ...).
  void reject(std::string_view reason);
  void connection_opened();
  void connection_closed();

  /// Everything recorded, then the actor figures, as Prometheus text (version 0.0.4).
  std::string render(const gate_stats& gate, const seat_stats& seats) const;

 private:
  struct series {
    uint64_t count = 0;
    double sum_s = 0;
    std::array<uint64_t, bucket_bounds_s.size()> buckets{};  // non-cumulative
  };
  using key = std::tuple<std::string, std::string, unsigned>;  // route, method, status

  mutable std::mutex mu_;
  // std::less<> lets record() look a series up by string_views: no allocation per
  // request once the series exists.
  std::map<key, series, std::less<>> requests_;
  std::map<std::string, uint64_t, std::less<>> rejections_;
  int64_t connections_open_ = 0;
  uint64_t connections_total_ = 0;
};

/// Content-Type of the metrics response.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace concert::http
