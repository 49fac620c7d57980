// Rendering of actor replies as HTTP responses: the contract's camelCase JSON for every
// value type, RFC 3339 UTC times, and the status rule (ok 200, created 201, any other
// code -> its problem from problem.hpp). Pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "actors/types.hpp"
#include "http/problem.hpp"

namespace concert::http {

using ordered_json = nlohmann::ordered_json;

/// `2026-12-24T19:00:00Z`; sub-second parts as milliseconds (`...:00.250Z`), truncated.
/// Years are clamped to 0000..9999.
std::string rfc3339(time_us t);

ordered_json to_json(const token_view& v);
ordered_json to_json(const concert_info& v);
ordered_json to_json(const schedule_info& v);
ordered_json to_json(const seat_info& v);
ordered_json to_json(const reservation& v);
ordered_json to_json(const payment& v);
ordered_json to_json(const history_entry& v);

/// A JSON array of the elements, in the given order.
template <class T>
ordered_json to_json(const std::vector<T>& xs) {
  auto arr = ordered_json::array();
  for (const auto& x : xs) arr.push_back(to_json(x));
  return arr;
}

/// application/json; charset=utf-8 with the given status.
response_out json_response(unsigned status, const ordered_json& body);

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
