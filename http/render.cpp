// The contract's JSON shapes, field by field, in the order the contract lists them.
#include "http/render.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

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

/// `n` as exactly `width` decimal digits (0 <= n < 10^width).
void put_digits(char* at, unsigned n, int width) {
  for (int i = width - 1; i >= 0; --i, n /= 10) at[i] = static_cast<char>('0' + n % 10);
}

void append_rfc3339(std::string& out, time_us t) {
  constexpr int64_t us_per_day = 86'400'000'000;
  constexpr time_us lo = -62'167'219'200'000'000;  // 0000-01-01T00:00:00Z
  constexpr time_us hi = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z
  t = std::clamp(t, lo, hi);
  const int64_t days = floor_div(t, us_per_day);
  const int64_t us_of_day = t - days * us_per_day;
  const civil c = civil_from_days(days);
  const auto secs = static_cast<unsigned>(us_of_day / 1'000'000);
  const auto ms = static_cast<unsigned>(us_of_day % 1'000'000 / 1000);
  char buf[24] = "0000-00-00T00:00:00.000";
  put_digits(buf, static_cast<unsigned>(c.y), 4);
  put_digits(buf + 5, c.m, 2);
  put_digits(buf + 8, c.d, 2);
  put_digits(buf + 11, secs / 3600, 2);
  put_digits(buf + 14, secs / 60 % 60, 2);
  put_digits(buf + 17, secs % 60, 2);
  put_digits(buf + 20, ms, 3);
  out.append(buf, ms != 0 ? 23 : 19);
  out += 'Z';
}

/// Whether `s` can be written between quotes as it is: printable ASCII, no `"` or `\`.
bool plain(std::string_view s) {
  for (unsigned char ch : s)
    if (ch < 0x20 || ch >= 0x80 || ch == '"' || ch == '\\') return false;
  return true;
}

template <class Int>
void put_int(std::string& out, Int v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

/// `{"name":` or `,"name":` (names are the contract's own, all plain ASCII).
void put_key(std::string& out, char before, std::string_view name) {
  out += before;
  out += '"';
  out += name;
  out += "\":";
}

void put_time(std::string& out, time_us t) {
  out += '"';
  append_rfc3339(out, t);
  out += '"';
}

void put_name(std::string& out, std::string_view name) {
  out += '"';
  out += name;
  out += '"';
}

/// A JSON string literal of `s`, quotes included.
void append_json_string(std::string& out, std::string_view s) {
  if (plain(s)) return put_name(out, s);
  // Rare (non-ASCII titles, odd tokens): nlohmann's escaping, so the rules stay one.
  out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string rfc3339(time_us t) {
  std::string out;
  append_rfc3339(out, t);
  return out;
}

void append_json(std::string& out, const token_view& v) {
  put_key(out, '{', "token");
  append_json_string(out, v.token);
  put_key(out, ',', "userId");
  put_int(out, v.user);
  put_key(out, ',', "status");
  put_name(out, v.active ? "ACTIVE" : "WAITING");
  put_key(out, ',', "position");
  put_int(out, v.active ? 0 : v.position);
  put_key(out, ',', "etaSeconds");
  put_int(out, v.eta_seconds);
  put_key(out, ',', "nextPollSeconds");
  put_int(out, v.next_poll_seconds);
  put_key(out, ',', "expiresAt");
  put_time(out, v.expires_at);
  out += '}';
}

void append_json(std::string& out, const concert_info& v) {
  put_key(out, '{', "id");
  put_int(out, v.id);
  put_key(out, ',', "title");
  append_json_string(out, v.title);
  put_key(out, ',', "performer");
  append_json_string(out, v.performer);
  put_key(out, ',', "venue");
  append_json_string(out, v.venue);
  out += '}';
}

void append_json(std::string& out, const schedule_info& v) {
  put_key(out, '{', "id");
  put_int(out, v.id);
  put_key(out, ',', "concertId");
  put_int(out, v.concert);
  put_key(out, ',', "startsAt");
  put_time(out, v.starts_at);
  put_key(out, ',', "totalSeats");
  put_int(out, v.total_seats);
  put_key(out, ',', "availableSeats");
  put_int(out, v.available_seats);
  out += '}';
}

void append_json(std::string& out, const seat_info& v) {
  put_key(out, '{', "seatNo");
  put_int(out, v.seat);
  put_key(out, ',', "price");
  put_int(out, v.price);
  put_key(out, ',', "status");
  put_name(out, seat_status_name(v.status));
  out += '}';
}

void append_json(std::string& out, const reservation& v) {
  put_key(out, '{', "id");
  put_int(out, v.id);
  put_key(out, ',', "userId");
  put_int(out, v.user);
  put_key(out, ',', "scheduleId");
  put_int(out, v.schedule);
  put_key(out, ',', "seatNo");
  put_int(out, v.seat);
  put_key(out, ',', "price");
  put_int(out, v.price);
  put_key(out, ',', "status");
  put_name(out, reservation_status_name(v.status));
  put_key(out, ',', "expiresAt");
  put_time(out, v.expires_at);
  out += '}';
}

void append_json(std::string& out, const payment& v) {
  put_key(out, '{', "id");
  put_int(out, v.id);
  put_key(out, ',', "reservationId");
  put_int(out, v.reservation);
  put_key(out, ',', "userId");
  put_int(out, v.user);
  put_key(out, ',', "amount");
  put_int(out, v.amount);
  put_key(out, ',', "balance");
  put_int(out, v.balance);
  put_key(out, ',', "paidAt");
  put_time(out, v.paid_at);
  out += '}';
}

void append_json(std::string& out, const history_entry& v) {
  put_key(out, '{', "kind");
  put_name(out, history_kind_name(v.kind));
  put_key(out, ',', "amount");
  put_int(out, v.amount);
  put_key(out, ',', "balance");
  put_int(out, v.balance);
  put_key(out, ',', "at");
  put_time(out, v.at);
  out += '}';
}

response_out json_response(unsigned status, std::string body) {
  response_out r;
  r.status = status;
  r.content_type = "application/json; charset=utf-8";
  r.body = std::move(body);
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
  std::string body;
  put_key(body, '{', "userId");
  put_int(body, user);
  put_key(body, ',', "balance");
  put_int(body, balance);
  body += '}';
  return json_response(200, std::move(body));
}

response_out render_no_content(code c) {
  if (!succeeded(c)) return outcome_problem(c);
  response_out r;
  r.status = 204;
  return r;
}

response_out render_health() { return json_response(200, R"({"status":"ok"})"); }

response_out render_unavailable(std::string_view why) {
  auto out = problem(code::unavailable, why);
  out.headers.emplace_back("Retry-After", "1");
  return out;
}

}  // namespace concert::http
