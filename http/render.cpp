// The contract's JSON shapes, field by field, in the order the contract lists them.
#include "http/render.hpp"

#include <algorithm>
#include <cstdio>

namespace concert::http {
namespace {

struct civil {
  int64_t y;
  unsigned m, d;
};

/// Howard Hinnant's civil_from_days: days since 1970-01-01 -> proleptic Gregorian date.
civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::string rfc3339(time_us t) {
  constexpr int64_t us_per_day = 86'400'000'000;
  constexpr time_us lo = -62'167'219'200'000'000;  // 0000-01-01T00:00:00Z
  constexpr time_us hi = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z
  t = std::clamp(t, lo, hi);
  const int64_t days = floor_div(t, us_per_day);
  const int64_t us_of_day = t - days * us_per_day;
  const civil c = civil_from_days(days);
  const int64_t secs = us_of_day / 1'000'000;
  const int64_t ms = (us_of_day % 1'000'000) / 1000;
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(c.y),
                        c.m, c.d, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                        static_cast<int>(secs % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (ms != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(ms));
    out += buf;
  }
  out += 'Z';
  return out;
}

ordered_json to_json(const token_view& v) {
  return {{"token", v.token},
          {"userId", v.user},
          {"status", v.active ? "ACTIVE" : "WAITING"},
          {"position", v.active ? 0 : v.position},
          {"etaSeconds", v.eta_seconds},
          {"nextPollSeconds", v.next_poll_seconds},
          {"expiresAt", rfc3339(v.expires_at)}};
}

ordered_json to_json(const concert_info& v) {
  return {{"id", v.id}, {"title", v.title}, {"performer", v.performer}, {"venue", v.venue}};
}

ordered_json to_json(const schedule_info& v) {
  return {{"id", v.id},
          {"concertId", v.concert},
          {"startsAt", rfc3339(v.starts_at)},
          {"totalSeats", v.total_seats},
          {"availableSeats", v.available_seats}};
}

ordered_json to_json(const seat_info& v) {
  return {{"seatNo", v.seat}, {"price", v.price}, {"status", seat_status_name(v.status)}};
}

ordered_json to_json(const reservation& v) {
  return {{"id", v.id},
          {"userId", v.user},
          {"scheduleId", v.schedule},
          {"seatNo", v.seat},
          {"price", v.price},
          {"status", reservation_status_name(v.status)},
          {"expiresAt", rfc3339(v.expires_at)}};
}

ordered_json to_json(const payment& v) {
  return {{"id", v.id},         {"reservationId", v.reservation}, {"userId", v.user},
          {"amount", v.amount}, {"balance", v.balance},           {"paidAt", rfc3339(v.paid_at)}};
}

ordered_json to_json(const history_entry& v) {
  return {{"kind", history_kind_name(v.kind)},
          {"amount", v.amount},
          {"balance", v.balance},
          {"at", rfc3339(v.at)}};
}

response_out json_response(unsigned status, const ordered_json& body) {
  response_out r;
  r.status = status;
  r.content_type = "application/json; charset=utf-8";
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

response_out outcome_problem(code c) {
  auto out = problem(c, spec_of(c).title);
  if (c == code::token_invalid || c == code::token_expired)
    out.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (c == code::unavailable) out.headers.emplace_back("Retry-After", "1");
  return out;
}

response_out render_balance(code c, user_id user, points balance) {
  if (!succeeded(c)) return outcome_problem(c);
  return json_response(200, {{"userId", user}, {"balance", balance}});
}

response_out render_no_content(code c) {
  if (!succeeded(c)) return outcome_problem(c);
  response_out r;
  r.status = 204;
  return r;
}

response_out render_health() { return json_response(200, {{"status", "ok"}}); }

response_out render_unavailable(std::string_view why) {
  auto out = problem(code::unavailable, why);
  out.headers.emplace_back("Retry-After", "1");
  return out;
}

}  // namespace concert::http
