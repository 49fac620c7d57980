// Requests and responses of the HTTP contract, both directions. Any body that does not
// match the contract makes the outcome `failed` rather than guessing.

#include "simulation/http_wire.hpp"

#include <nlohmann/json.hpp>

#include <cctype>

namespace concert::sim {

namespace {

using json = nlohmann::json;

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(const std::string& s, size_t at, size_t n, int64_t& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

seat_status seat_status_of(const std::string& s) {
  if (s == "SOLD") return seat_status::sold;
  if (s == "HELD") return seat_status::held;
  return seat_status::available;
}

reservation_status resv_status_of(const std::string& s) {
  if (s == "CONFIRMED") return reservation_status::confirmed;
  if (s == "EXPIRED") return reservation_status::expired;
  return reservation_status::held;
}

time_us time_field(const json& j, const char* name) {
  time_us t = 0;
  if (j.contains(name) && j[name].is_string()) parse_rfc3339(j[name].get<std::string>(), t);
  return t;
}

/// Fills the success payload of `a`'s reply; throws on a body that does not fit.
void read_success(const action& a, const json& j, outcome& o) {
  switch (a.kind) {
    case op::charge:
      o.balance = j.at("balance").get<points>();
      break;
    case op::issue:
    case op::poll:
      o.token.token = j.at("token").get<std::string>();
      o.token.user = j.at("userId").get<user_id>();
      o.token.active = j.at("status").get<std::string>() == "ACTIVE";
      o.token.position = j.at("position").get<uint64_t>();
      o.token.eta_seconds = j.value("etaSeconds", int64_t{0});
      o.token.next_poll_seconds = j.value("nextPollSeconds", int64_t{1});
      o.token.expires_at = time_field(j, "expiresAt");
      break;
    case op::concerts:
      for (const auto& c : j)
        o.concerts.push_back({c.at("id").get<concert_id>(), c.value("title", ""),
                              c.value("performer", ""), c.value("venue", "")});
      break;
    case op::schedules:
      for (const auto& s : j)
        o.schedules.push_back({s.at("id").get<schedule_id>(), s.value("concertId", concert_id{0}),
                               time_field(s, "startsAt"), s.value("totalSeats", 0u),
                               s.at("availableSeats").get<uint32_t>()});
      break;
    case op::seats:
      for (const auto& s : j)
        o.seats.push_back({s.at("seatNo").get<seat_no>(), s.at("price").get<points>(),
                           seat_status_of(s.at("status").get<std::string>())});
      break;
    case op::hold:
      o.resv = reservation{j.at("id").get<reservation_id>(),
                           j.at("userId").get<user_id>(),
                           j.at("scheduleId").get<schedule_id>(),
                           j.at("seatNo").get<seat_no>(),
                           j.at("price").get<points>(),
                           resv_status_of(j.at("status").get<std::string>()),
                           time_field(j, "expiresAt")};
      break;
    case op::pay:
      o.pay = payment{j.at("id").get<uint64_t>(),    j.at("reservationId").get<reservation_id>(),
                      j.at("userId").get<user_id>(), j.at("amount").get<points>(),
                      j.at("balance").get<points>(), time_field(j, "paidAt")};
      break;
    default:
      break;
  }
}

}  // namespace

bool parse_rfc3339(const std::string& s, time_us& out) {
  int64_t y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se) || mo < 1 ||
      mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return false;
  size_t i = 19;
  int64_t frac_us = 0;
  if (i < s.size() && s[i] == '.') {
    int64_t scale = 100'000;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, scale /= 10)
      frac_us += (s[i] - '0') * scale;
  }
  const std::string zone = s.substr(i);
  if (zone != "Z" && zone != "z" && zone != "+00:00") return false;
  const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  out = seconds_us(days * 86400 + h * 3600 + mi * 60 + se) + frac_us;
  return true;
}

bool code_from_name(const std::string& name, code& out) {
  for (int i = 0; i <= static_cast<int>(code::unavailable); ++i)
    if (code_name(static_cast<code>(i)) == name) {
      out = static_cast<code>(i);
      return true;
    }
  return false;
}

wire_request to_request(const action& a, user_id user, const std::string& token) {
  const std::string u = std::to_string(user);
  switch (a.kind) {
    case op::charge:
      return {"POST", "/api/v1/users/" + u + "/points/charge", json{{"amount", a.amount}}.dump(),
              "", ""};
    case op::issue:
      return {"POST", "/api/v1/queue/tokens", json{{"userId", user}}.dump(), "", ""};
    case op::poll:
      return {"GET", "/api/v1/queue/tokens/me", "", token, ""};
    case op::leave:
      return {"DELETE", "/api/v1/queue/tokens/me", "", token, ""};
    case op::concerts:
      return {"GET", "/api/v1/concerts", "", token, ""};
    case op::schedules:
      return {"GET", "/api/v1/concerts/" + std::to_string(a.concert) + "/schedules", "", token, ""};
    case op::seats:
      return {"GET", "/api/v1/schedules/" + std::to_string(a.schedule) + "/seats", "", token, ""};
    case op::hold:
      return {"POST", "/api/v1/reservations",
              json{{"scheduleId", a.schedule}, {"seatNo", a.seat}}.dump(), token, ""};
    case op::pay:
      return {"POST", "/api/v1/payments", json{{"reservationId", a.resv}}.dump(), token, a.key};
    default:
      return {"GET", "/healthz", "", "", ""};
  }
}

outcome from_response(const action& a, unsigned status, const std::string& body) {
  outcome o;
  try {
    if (status >= 200 && status < 300) {
      o.c = status == 201 ? code::created : code::ok;
      if (status != 204) read_success(a, json::parse(body), o);
      return o;
    }
    const json j = json::parse(body);
    if (!code_from_name(j.at("code").get<std::string>(), o.c)) o.failed = true;
  } catch (const std::exception&) {
    o.failed = true;
  }
  return o;
}

bool parse_seats(const std::string& body, std::vector<seat_info>& out) {
  action a;
  a.kind = op::seats;
  outcome o = from_response(a, 200, body);
  out = std::move(o.seats);
  return !o.failed;
}

bool parse_history(const std::string& body, std::vector<history_entry>& out) {
  try {
    out.clear();
    for (const auto& e : json::parse(body))
      out.push_back({e.at("kind").get<std::string>() == "PAYMENT" ? history_kind::payment
                                                                  : history_kind::charge,
                     e.at("amount").get<points>(), e.at("balance").get<points>(),
                     time_field(e, "at")});
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool parse_balance(const std::string& body, points& out) {
  try {
    out = json::parse(body).at("balance").get<points>();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace concert::sim
