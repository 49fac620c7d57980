// The outcome -> HTTP table. Written as switches so the compiler (-Wswitch) flags any
// concert::code added later without a row here.
#include "http/problem.hpp"

#include <nlohmann/json.hpp>

namespace concert::http {

std::string_view response_out::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

problem_spec spec_of(code c) {
  switch (c) {
    case code::ok:
      return {200, "OK", "", "OK"};
    case code::created:
      return {201, "CREATED", "", "Created"};
    case code::invalid_request:
      return {400, "INVALID_REQUEST", "invalid-request", "The request is malformed"};
    case code::token_invalid:
      return {401, "TOKEN_INVALID", "token-invalid", "The queue token is missing or unknown"};
    case code::token_expired:
      return {401, "TOKEN_EXPIRED", "token-expired", "The queue token has expired"};
    case code::queue_not_admitted:
      return {403, "QUEUE_NOT_ADMITTED", "queue-not-admitted",
              "The queue token is still waiting to be admitted"};
    case code::concert_not_found:
      return {404, "CONCERT_NOT_FOUND", "concert-not-found", "No such concert"};
    case code::schedule_not_found:
      return {404, "SCHEDULE_NOT_FOUND", "schedule-not-found", "No such schedule"};
    case code::seat_not_found:
      return {404, "SEAT_NOT_FOUND", "seat-not-found", "No such seat in this schedule"};
    case code::seat_unavailable:
      return {409, "SEAT_UNAVAILABLE", "seat-unavailable", "The seat is held or sold"};
    case code::hold_limit_reached:
      return {409, "HOLD_LIMIT_REACHED", "hold-limit-reached", "Too many live holds for this user"};
    case code::reservation_not_found:
      return {404, "RESERVATION_NOT_FOUND", "reservation-not-found", "No such reservation"};
    case code::reservation_expired:
      return {410, "RESERVATION_EXPIRED", "reservation-expired", "The hold lapsed before payment"};
    case code::reservation_not_payable:
      return {409, "RESERVATION_NOT_PAYABLE", "reservation-not-payable",
              "The reservation cannot be paid"};
    case code::insufficient_points:
      return {402, "INSUFFICIENT_POINTS", "insufficient-points",
              "The balance does not cover the price"};
    case code::invalid_amount:
      return {400, "INVALID_AMOUNT", "invalid-amount", "The amount is not acceptable"};
    case code::unavailable:
      return {503, "SERVICE_UNAVAILABLE", "service-unavailable",
              "The service is busy or shutting down"};
  }
  return {500, "INTERNAL", "internal", "Internal error"};
}

problem_spec spec_of(edge_problem p) {
  switch (p) {
    case edge_problem::route_not_found:
      return {404, "NOT_FOUND", "not-found", "No such resource"};
    case edge_problem::method_not_allowed:
      return {405, "METHOD_NOT_ALLOWED", "method-not-allowed",
              "The resource does not support this method"};
    case edge_problem::payload_too_large:
      return {413, "PAYLOAD_TOO_LARGE", "payload-too-large", "The request body is too large"};
    case edge_problem::headers_too_large:
      return {431, "HEADERS_TOO_LARGE", "headers-too-large",
              "The request header section is too large"};
    case edge_problem::malformed_http:
      return {400, "INVALID_REQUEST", "invalid-request", "The request is malformed"};
    case edge_problem::too_many_connections:
      return {503, "TOO_MANY_CONNECTIONS", "too-many-connections",
              "The server has too many open connections"};
  }
  return {500, "INTERNAL", "internal", "Internal error"};
}

response_out problem(const problem_spec& spec, std::string_view detail) {
  nlohmann::ordered_json j;
  j["type"] = std::string(problem_type_base) + std::string(spec.slug);
  j["title"] = spec.title;
  j["status"] = spec.status;
  j["detail"] = detail;
  j["code"] = spec.code;
  response_out r;
  r.status = spec.status;
  r.content_type = "application/problem+json";
  // replace: a detail never makes rendering throw, whatever bytes it quotes.
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace concert::http
