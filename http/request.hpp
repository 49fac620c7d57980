// From a request as plain strings to a command for the actors, or to the response that
// refuses it: route match (404/405), token presence (401), path ids, query flags and
// JSON bodies (400). Pure and total: any bytes give either a command or a problem, and
// a refused request never reaches an actor, so it cannot change state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "actors/types.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/routes.hpp"

namespace concert::http {

/// The parts of an HTTP request the API reads; views into the server's buffers.
struct request_in {
  std::string_view method;  ///< as on the wire ("GET")
  std::string_view target;  ///< origin-form: path plus optional ?query
  header_value authorization;
  header_value idempotency_key;
  std::string_view body;
};

// One struct per action; the user of guarded actions comes from the gate's check.
struct issue_token {
  user_id user = 0;
};
struct poll_token {};
struct leave_queue {};
struct list_concerts {};
struct list_schedules {
  concert_id concert = 0;
};
struct list_seats {
  schedule_id schedule = 0;
  bool all = false;
};
struct hold_seat {
  schedule_id schedule = 0;
  seat_no seat = 0;
};
struct get_reservation {
  reservation_id id = 0;
};
struct pay_reservation {
  reservation_id id = 0;
  std::string idempotency_key;
};
struct get_points {
  user_id user = 0;
};
struct charge_points {
  user_id user = 0;
  points amount = 0;
};
struct get_history {
  user_id user = 0;
};
struct get_health {};
struct get_metrics {};
struct get_openapi {};
/// Admin: an online backup of the store into `dir` (an absolute path); node.cpp serves it.
struct take_backup {
  std::string dir;
};

using action =
    std::variant<issue_token, poll_token, leave_queue, list_concerts, list_schedules, list_seats,
                 hold_seat, get_reservation, pay_reservation, get_points, charge_points,
                 get_history, get_health, get_metrics, get_openapi, take_backup>;

/// A well-formed request: what to do and, for guarded routes, with which token.
struct command {
  route_id route = route_id::healthz;
  std::string token;  ///< set for guard::token and guard::active routes
  action what;
};

/// The outcome of parsing: `cmd` when well-formed, else `rejection` is the answer.
struct parse_result {
  const route_def* route = nullptr;  ///< null when no route matched (404/405)
  std::optional<command> cmd;
  response_out rejection;
};

parse_result parse_request(const request_in& in);

/// The problem response of a rejection (401 ones carry WWW-Authenticate: Bearer).
response_out refuse(const rejection& r);

}  // namespace concert::http
