// parse_request: route, then token, then path and body, each step refusing with its
// own problem. Per-route decoding lives in one small function per body shape.
#include "http/request.hpp"

#include <limits>

namespace concert::http {
namespace {

using json = nlohmann::json;

parse_result rejected(parse_result out, const rejection& r) {
  out.rejection = refuse(r);
  return out;
}

checked<uint64_t> path_id(std::string_view raw, const char* name) {
  if (auto id = parse_id(raw)) return *id;
  return rejection{code::invalid_request, std::string(name) + " must be a positive integer"};
}

/// The backup body {"dir": "/absolute/path"}.
checked<action> decode_backup(std::string_view raw) {
  auto body = parse_object(raw);
  if (!body.ok()) return body.error();
  auto dir = body.value().find("dir");
  if (dir == body.value().end() || !dir->is_string())
    return rejection{code::invalid_request, "dir must be a string"};
  auto path = dir->get<std::string>();
  if (path.empty() || path.front() != '/' || path.size() > 4096)
    return rejection{code::invalid_request, "dir must be an absolute path"};
  return action{take_backup{std::move(path)}};
}

/// Decodes the action of a matched route, or the rejection.
checked<action> decode_action(const route_match& m, std::string_view query, const request_in& in) {
  const auto& p = m.params;
  switch (m.route->id) {
    case route_id::issue_token: {
      auto body = parse_object(in.body);
      if (!body.ok()) return body.error();
      auto user = positive_field(body.value(), "userId");
      if (!user.ok()) return user.error();
      return action{issue_token{user.value()}};
    }
    case route_id::poll_token:
      return action{poll_token{}};
    case route_id::leave_queue:
      return action{leave_queue{}};
    case route_id::concerts:
      return action{list_concerts{}};
    case route_id::schedules: {
      auto id = path_id(p[0], "concertId");
      if (!id.ok()) return id.error();
      return action{list_schedules{id.value()}};
    }
    case route_id::seats: {
      auto id = path_id(p[0], "scheduleId");
      if (!id.ok()) return id.error();
      auto all = parse_all_flag(query);
      if (!all) return rejection{code::invalid_request, "all must be true or false, given once"};
      return action{list_seats{id.value(), *all}};
    }
    case route_id::hold: {
      auto body = parse_object(in.body);
      if (!body.ok()) return body.error();
      auto schedule = positive_field(body.value(), "scheduleId");
      if (!schedule.ok()) return schedule.error();
      auto seat = positive_field(body.value(), "seatNo", std::numeric_limits<seat_no>::max());
      if (!seat.ok()) return seat.error();
      return action{hold_seat{schedule.value(), static_cast<seat_no>(seat.value())}};
    }
    case route_id::reservation: {
      auto id = path_id(p[0], "reservationId");
      if (!id.ok()) return id.error();
      return action{get_reservation{id.value()}};
    }
    case route_id::pay: {
      auto key = idempotency_key(in.idempotency_key);
      if (!key.ok()) return key.error();
      auto body = parse_object(in.body);
      if (!body.ok()) return body.error();
      auto id = positive_field(body.value(), "reservationId");
      if (!id.ok()) return id.error();
      return action{pay_reservation{id.value(), key.value()}};
    }
    case route_id::points:
    case route_id::history: {
      auto user = path_id(p[0], "userId");
      if (!user.ok()) return user.error();
      if (m.route->id == route_id::points) return action{get_points{user.value()}};
      return action{get_history{user.value()}};
    }
    case route_id::charge: {
      auto user = path_id(p[0], "userId");
      if (!user.ok()) return user.error();
      auto body = parse_object(in.body);
      if (!body.ok()) return body.error();
      auto amount = amount_field(body.value());
      if (!amount.ok()) return amount.error();
      return action{charge_points{user.value(), amount.value()}};
    }
    case route_id::healthz:
      return action{get_health{}};
    case route_id::metrics:
      return action{get_metrics{}};
    case route_id::openapi:
      return action{get_openapi{}};
    case route_id::backup:
      return decode_backup(in.body);
  }
  return rejection{code::invalid_request, "unknown route"};
}

}  // namespace

response_out refuse(const rejection& r) {
  auto out = problem(r.what, r.detail);
  if (r.what == code::token_invalid || r.what == code::token_expired)
    out.headers.emplace_back("WWW-Authenticate", "Bearer");
  return out;
}

parse_result parse_request(const request_in& in) {
  parse_result out;
  auto [path, query] = split_target(in.target);
  auto m = match_route(in.method, path);
  if (!m.route) {
    if (m.allow.empty()) {
      out.rejection = problem(edge_problem::route_not_found, "no resource at this path");
    } else {
      out.rejection = problem(edge_problem::method_not_allowed, "allowed: " + m.allow);
      out.rejection.headers.emplace_back("Allow", m.allow);
    }
    return out;
  }
  out.route = m.route;
  command cmd;
  cmd.route = m.route->id;
  if (m.route->auth != guard::none) {
    auto token = bearer_token(in.authorization);
    if (!token.ok()) return rejected(std::move(out), token.error());
    cmd.token = std::move(token.value());
  }
  auto what = decode_action(m, query, in);
  if (!what.ok()) return rejected(std::move(out), what.error());
  cmd.what = std::move(what.value());
  out.cmd = std::move(cmd);
  return out;
}

}  // namespace concert::http
