// Rendering of actor replies as HTTP responses: the contract's camelCase JSON for every
// value type, RFC 3339 UTC times, and the status rule (ok 200, created 201, any other
// code -> its problem from problem.hpp). Pure functions of their arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "actors/types.hpp"
#include "http/problem.hpp"

namespace concert::http {

/// `2026-12-24T19:00:00Z`; sub-second parts as milliseconds (`...:00.250Z`), truncated.
/// Years are clamped to 0000..9999.
std::string rfc3339(time_us t);

// The contract's JSON text of each value, appended to `out`. Written by hand, not via a
// JSON tree: listings are rendered on every journey and the tree cost ~24 us per 50 seats.
// Strings are escaped as nlohmann::json would (invalid UTF-8 replaced by U+FFFD).
void append_json(std::string& out, const token_view& v);
void append_json(std::string& out, const concert_info& v);
void append_json(std::string& out, const schedule_info& v);
void append_json(std::string& out, const seat_info& v);
void append_json(std::string& out, const reservation& v);
void append_json(std::string& out, const payment& v);
void append_json(std::string& out, const history_entry& v);

/// A JSON array of the elements, in the given order.
template <class T>
void append_json(std::string& out, const std::vector<T>& xs) {
  out.reserve(out.size() + 2 + xs.size() * 48);
  out += '[';
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i != 0) out += ',';
    append_json(out, xs[i]);
  }
  out += ']';
}

/// The JSON text of `v`.
template <class T>
std::string to_json(const T& v) {
  std::string out;
  append_json(out, v);
  return out;
}

/// application/json; charset=utf-8 with the given status and JSON text.
response_out json_response(unsigned status, std::string body);

/// The problem for a refusal `c` (not ok/created), with a generic detail.
response_out outcome_problem(code c);

/// The success response for `c` (ok 200, created 201) rendering `value`, or the
/// problem when `c` is a refusal.
template <class T>
response_out render(code c, const T& value) {
  if (!succeeded(c)) return outcome_problem(c);
  return json_response(status_of(c), to_json(value));
}

/// `{"userId", "balance"}` for the points routes.
response_out render_balance(code c, user_id user, points balance);
/// 204 when the token left, else its problem.
response_out render_no_content(code c);
/// `{"status": "ok"}`.
response_out render_health();
/// 503 SERVICE_UNAVAILABLE with Retry-After, for timeouts and dead actors.
response_out render_unavailable(std::string_view why);

}  // namespace concert::http
