// The route table of the public contract (docs http-api.md) and the pure matching
// over it: method + path -> route and raw path parameters, or 404 / 405 with the
// allowed methods. Also the strict parsers for what sits in a path or query (ids,
// flags). Paths are matched byte for byte: nothing is percent-decoded, so an encoded
// byte can never smuggle a different id or segment past the checks.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace concert::http {

enum class route_id : uint8_t {
  issue_token,  // POST   /api/v1/queue/tokens
  poll_token,   // GET    /api/v1/queue/tokens/me
  leave_queue,  // DELETE /api/v1/queue/tokens/me
  concerts,     // GET    /api/v1/concerts
  schedules,    // GET    /api/v1/concerts/{concertId}/schedules
  seats,        // GET    /api/v1/schedules/{scheduleId}/seats
  hold,         // POST   /api/v1/reservations
  reservation,  // GET    /api/v1/reservations/{reservationId}
  pay,          // POST   /api/v1/payments
  points,       // GET    /api/v1/users/{userId}/points
  charge,       // POST   /api/v1/users/{userId}/points/charge
  history,      // GET    /api/v1/users/{userId}/points/history
  healthz,      // GET    /healthz
  metrics,      // GET    /metrics
  openapi,      // GET    /openapi.json
  backup,       // POST   /admin/v1/backup (admin; served only with --admin-token)
};

/// What a route demands of the Authorization header.
enum class guard : uint8_t {
  none,    ///< no token
  token,   ///< a token the gate judges itself (poll, leave), or the admin token (backup)
  active,  ///< an ACTIVE token, checked by the gate before the route runs
};

struct route_def {
  route_id id;
  std::string_view method;  ///< upper case, as on the wire
  std::string_view path;    ///< template with {name} segments, as in the OpenAPI document
  guard auth;
};

inline constexpr std::array<route_def, 16> route_table{{
    {route_id::issue_token, "POST", "/api/v1/queue/tokens", guard::none},
    {route_id::poll_token, "GET", "/api/v1/queue/tokens/me", guard::token},
    {route_id::leave_queue, "DELETE", "/api/v1/queue/tokens/me", guard::token},
    {route_id::concerts, "GET", "/api/v1/concerts", guard::active},
    {route_id::schedules, "GET", "/api/v1/concerts/{concertId}/schedules", guard::active},
    {route_id::seats, "GET", "/api/v1/schedules/{scheduleId}/seats", guard::active},
    {route_id::hold, "POST", "/api/v1/reservations", guard::active},
    {route_id::reservation, "GET", "/api/v1/reservations/{reservationId}", guard::active},
    {route_id::pay, "POST", "/api/v1/payments", guard::active},
    {route_id::points, "GET", "/api/v1/users/{userId}/points", guard::none},
    {route_id::charge, "POST", "/api/v1/users/{userId}/points/charge", guard::none},
    {route_id::history, "GET", "/api/v1/users/{userId}/points/history", guard::none},
    {route_id::healthz, "GET", "/healthz", guard::none},
    {route_id::metrics, "GET", "/metrics", guard::none},
    {route_id::openapi, "GET", "/openapi.json", guard::none},
    {route_id::backup, "POST", "/admin/v1/backup", guard::token},
}};

/// The table row of a route.
const route_def& route_of(route_id id);

/// Result of matching: a route with its raw parameters, or none (404 when `allow` is
/// empty, else 405 and `allow` lists the methods the path does support).
struct route_match {
  const route_def* route = nullptr;
  std::vector<std::string_view> params;  ///< {name} segments in order, views into the path
  std::string allow;                     ///< "GET, DELETE" (table order) on 405
};

/// Matches the path part of a request target (no query) against the table.
route_match match_route(std::string_view method, std::string_view path);

/// Splits a request target into path and query (after the first '?', without it).
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

/// A positive id in canonical decimal: 1..2^63-1, ASCII digits only, no sign, no
/// leading zero, no whitespace. Anything else (%31, +1, 01, 1e3, overflow) is nullopt.
std::optional<uint64_t> parse_id(std::string_view text);

/// The `all` flag of the seat listing from a raw query string: absent -> false;
/// `all=true` / `all=false` exactly; repeated or any other value -> nullopt.
/// Other query parameters are ignored.
std::optional<bool> parse_all_flag(std::string_view query);

}  // namespace concert::http
