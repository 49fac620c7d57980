// The one table from outcomes to HTTP: every concert::code and every edge-level refusal
// (unknown route, wrong method, oversized body, ...) maps here to a status, a stable
// UPPER_SNAKE `code`, a problem type URI and a title, and becomes an RFC 9457
// application/problem+json response. No I/O, no CAF: the server writes what this builds.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/types.hpp"

namespace concert::http {

/// A response in plain terms, as the pure layer produces it and the server writes it.
struct response_out {
  unsigned status = 200;
  std::string content_type;  ///< empty: no body (204)
  std::string body;
  /// Extra headers, in the order written (Allow, WWW-Authenticate, Retry-After).
  std::vector<std::pair<std::string, std::string>> headers;

  /// The value of an extra header, or "" (for tests and logs).
  std::string_view header(std::string_view name) const;
};

/// Refusals made by the edge itself; they never reach an actor.
enum class edge_problem : uint8_t {
  route_not_found,       // 404 NOT_FOUND
  method_not_allowed,    // 405 METHOD_NOT_ALLOWED (with Allow)
  payload_too_large,     // 413 PAYLOAD_TOO_LARGE
  headers_too_large,     // 431 HEADERS_TOO_LARGE
  malformed_http,        // 400 INVALID_REQUEST (unparseable HTTP)
  too_many_connections,  // 503 TOO_MANY_CONNECTIONS
};

/// One row of the table.
struct problem_spec {
  unsigned status = 500;
  std::string_view code;   ///< stable identifier clients switch on
  std::string_view slug;   ///< last segment of the problem type URI
  std::string_view title;  ///< short, human, the same for every occurrence
};

/// The row of a business outcome; ok/created are 200/201 with no problem type.
problem_spec spec_of(code c);
/// The row of an edge refusal.
problem_spec spec_of(edge_problem p);

/// The HTTP status of an outcome (ok 200, created 201, the rest per the table).
inline unsigned status_of(code c) { return spec_of(c).status; }

/// Prefix of every problem `type`; concert.example is a placeholder domain.
inline constexpr std::string_view problem_type_base = "https://concert.example/problems/";

/// An application/problem+json response for a row; detail is free text for humans.
response_out problem(const problem_spec& spec, std::string_view detail);
inline response_out problem(code c, std::string_view detail) { return problem(spec_of(c), detail); }
inline response_out problem(edge_problem p, std::string_view detail) {
  return problem(spec_of(p), detail);
}

}  // namespace concert::http
