// Prometheus rendering of the edge metrics: counts and cumulative histogram buckets by
// route template, method and status, rejections, and the actors' figures.
#include "http/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace concert::http {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

TEST(Metrics, CountsAndCumulativeBuckets) {
  metrics m;
  m.record("/api/v1/concerts", "GET", 200, 0.0003);
  m.record("/api/v1/concerts", "GET", 200, 0.02);
  m.record("/api/v1/concerts", "GET", 200, 7.0);  // beyond the last bound: only +Inf
  m.record("/api/v1/concerts", "GET", 401, 0.001);
  auto text = m.render({}, {});
  const std::string l = R"(route="/api/v1/concerts",method="GET",status="200")";
  EXPECT_TRUE(has_line(text, "concert_http_requests_total{" + l + "} 3")) << text;
  EXPECT_TRUE(has_line(text,
                       "concert_http_requests_total{route=\"/api/v1/concerts\",method=\"GET\","
                       "status=\"401\"} 1"));
  EXPECT_TRUE(
      has_line(text, "concert_http_request_duration_seconds_bucket{" + l + ",le=\"0.0005\"} 1"));
  EXPECT_TRUE(
      has_line(text, "concert_http_request_duration_seconds_bucket{" + l + ",le=\"0.025\"} 2"));
  EXPECT_TRUE(has_line(text, "concert_http_request_duration_seconds_bucket{" + l + ",le=\"5\"} 2"));
  EXPECT_TRUE(
      has_line(text, "concert_http_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} 3"));
  EXPECT_TRUE(has_line(text, "concert_http_request_duration_seconds_count{" + l + "} 3"));
}

TEST(Metrics, RejectionsConnectionsAndActorFigures) {
  metrics m;
  m.reject("body_limit");
  m.reject("body_limit");
  m.reject("timeout");
  m.connection_opened();
  m.connection_opened();
  m.connection_closed();
  gate_stats g;
  g.waiting = 12;
  g.active = 3;
  seat_stats s;
  s.held = 4;
  s.sold = 9;
  auto text = m.render(g, s);
  EXPECT_TRUE(has_line(text, "concert_http_rejections_total{reason=\"body_limit\"} 2"));
  EXPECT_TRUE(has_line(text, "concert_http_rejections_total{reason=\"timeout\"} 1"));
  EXPECT_TRUE(has_line(text, "concert_http_connections_open 1"));
  EXPECT_TRUE(has_line(text, "concert_queue_waiting 12"));
  EXPECT_TRUE(has_line(text, "concert_queue_active 3"));
  EXPECT_TRUE(has_line(text, "concert_seats_held 4"));
  EXPECT_TRUE(has_line(text, "concert_seats_sold 9"));
  EXPECT_TRUE(has_line(text, "concert_payments_total 9"));
  EXPECT_TRUE(has_line(text, "# TYPE concert_http_request_duration_seconds histogram"));
}

TEST(Metrics, OutputOrderIsStable) {
  metrics a, b;
  a.record("/b", "GET", 200, 0.1);
  a.record("/a", "GET", 200, 0.1);
  b.record("/a", "GET", 200, 0.1);
  b.record("/b", "GET", 200, 0.1);
  EXPECT_EQ(a.render({}, {}), b.render({}, {}));
}

}  // namespace
}  // namespace concert::http
