// The HTTP mode's translation between fan actions and the wire: which request an action
// becomes (method, path, body, headers per docs/http-api.md) and how a response becomes
// an outcome (status and problem `code` to a concert::code, JSON bodies to the value
// types, RFC 3339 times to microseconds). Pure functions, tested without a server.
#pragma once

#include <string>
#include <vector>

#include "actors/types.hpp"
#include "simulation/journey.hpp"

namespace concert::sim {

/// One HTTP request, transport-neutral.
struct wire_request {
  std::string method;  ///< GET, POST, DELETE
  std::string target;  ///< path and query
  std::string body;    ///< JSON, empty for none
  std::string token;   ///< Bearer token, empty for none
  std::string key;     ///< Idempotency-Key, empty for none
};

/// The request for `a` by `user` holding `token`.
wire_request to_request(const action& a, user_id user, const std::string& token);

/// The outcome of the response to `a`; `failed` when it is not one the contract allows.
outcome from_response(const action& a, unsigned status, const std::string& body);

/// "2026-12-24T19:00:00Z" (fraction and +00:00 allowed) to µs since the epoch; false
/// when it is not such a time.
bool parse_rfc3339(const std::string& s, time_us& out);

/// The code whose contract name is `name` (SEAT_UNAVAILABLE...); false when unknown.
bool code_from_name(const std::string& name, code& out);

/// Bodies of the read-back requests (seats with ?all=true, points, history).
bool parse_seats(const std::string& body, std::vector<seat_info>& out);
bool parse_history(const std::string& body, std::vector<history_entry>& out);
bool parse_balance(const std::string& body, points& out);

}  // namespace concert::sim
