// Prometheus text rendering. Label values are route templates, methods from the route
// table or "unmatched", and fixed reason words, so no escaping of user input is needed.
#include "http/metrics.hpp"

#include <cstdio>

namespace concert::http {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void gauge(std::string& out, std::string_view name, std::string_view type, std::string_view help,
           uint64_t v) {
  header(out, name, type, help);
  out.append(name).append(" ").append(std::to_string(v)).append("\n");
}

}  // namespace

void metrics::record(std::string_view route, std::string_view method, unsigned status,
                     double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find(std::make_tuple(route, method, status));
  if (it == requests_.end())
    it = requests_.emplace(key{std::string(route), std::string(method), status}, series{}).first;
  auto& s = it->second;
  ++s.count;
  s.sum_s += seconds;
  for (size_t i = 0; i < bucket_bounds_s.size(); ++i) {
    if (seconds <= bucket_bounds_s[i]) {
      ++s.buckets[i];
      break;
    }
  }
}

void metrics::reject(std::string_view reason) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rejections_.find(reason);
  if (it == rejections_.end()) it = rejections_.emplace(std::string(reason), 0).first;
  ++it->second;
}

void metrics::connection_opened() {
  std::lock_guard<std::mutex> lock(mu_);
  ++connections_open_;
  ++connections_total_;
}

void metrics::connection_closed() {
  std::lock_guard<std::mutex> lock(mu_);
  --connections_open_;
}

std::string metrics::render(const gate_stats& gate, const seat_stats& seats) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  header(out, "concert_http_requests_total", "counter", "Answered HTTP requests.");
  for (const auto& [k, s] : requests_) {
    const auto& [route, method, status] = k;
    out += "concert_http_requests_total{route=\"" + route + "\",method=\"" + method +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(s.count) + "\n";
  }
  header(out, "concert_http_request_duration_seconds", "histogram",
         "Time from a complete request to its response.");
  for (const auto& [k, s] : requests_) {
    const auto& [route, method, status] = k;
    const std::string labels = "route=\"" + route + "\",method=\"" + method + "\",status=\"" +
                               std::to_string(status) + "\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bucket_bounds_s.size(); ++i) {
      cumulative += s.buckets[i];
      out += "concert_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             number(bucket_bounds_s[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "concert_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(s.count) + "\n";
    out += "concert_http_request_duration_seconds_sum{" + labels + "} " + number(s.sum_s) + "\n";
    out += "concert_http_request_duration_seconds_count{" + labels + "} " +
           std::to_string(s.count) + "\n";
  }
  header(out, "concert_http_rejections_total", "counter",
         "Connections refused or closed by a limit, by reason.");
  for (const auto& [reason, n] : rejections_)
    out += "concert_http_rejections_total{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
  gauge(out, "concert_http_connections_open", "gauge", "Open client connections.",
        static_cast<uint64_t>(connections_open_ < 0 ? 0 : connections_open_));
  gauge(out, "concert_http_connections_total", "counter", "Accepted client connections.",
        connections_total_);
  gauge(out, "concert_queue_waiting", "gauge", "Fans waiting in the queue.", gate.waiting);
  gauge(out, "concert_queue_active", "gauge", "Fans admitted and active.", gate.active);
  gauge(out, "concert_queue_issued_total", "counter", "Queue tokens issued.", gate.issued_total);
  gauge(out, "concert_queue_admitted_total", "counter", "Fans admitted.", gate.admitted_total);
  gauge(out, "concert_queue_dropped_idle_total", "counter", "Waiting tokens dropped for idling.",
        gate.dropped_idle_total);
  gauge(out, "concert_queue_expired_active_total", "counter", "Active tokens that hit their TTL.",
        gate.expired_active_total);
  gauge(out, "concert_queue_ended_total", "counter", "Tokens ended by payment or leave.",
        gate.ended_total);
  gauge(out, "concert_seats_available", "gauge", "Seats that can be reserved now.",
        seats.available);
  gauge(out, "concert_seats_held", "gauge", "Seats held (including being paid for).", seats.held);
  gauge(out, "concert_seats_sold", "gauge", "Seats sold.", seats.sold);
  gauge(out, "concert_holds_placed_total", "counter", "Holds placed.", seats.holds_placed_total);
  gauge(out, "concert_holds_expired_total", "counter", "Holds that lapsed unpaid.",
        seats.holds_expired_total);
  gauge(out, "concert_payments_total", "counter", "Completed payments (one per sold seat).",
        seats.sold);
  return out;
}

}  // namespace concert::http
