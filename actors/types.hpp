// Domain vocabulary shared by every layer: ids, time, business outcomes and the value
// types that cross actor boundaries. Plain C++ only (no CAF, Boost or RocksDB), so the
// domain cores and their unit tests stay free of the actor runtime.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace concert {

/// Microseconds since the Unix epoch, read from the injected clock (virtual in tests).
using time_us = int64_t;
/// Seconds as a time_us span.
constexpr time_us seconds_us(int64_t s) { return s * 1'000'000; }

using user_id = uint64_t;
using concert_id = uint64_t;
using schedule_id = uint64_t;
using reservation_id = uint64_t;
using seat_no = uint32_t;
/// Integer points; never fractional, never negative in a balance.
using points = int64_t;

/// Every business outcome a caller can react to. `caf::error` is kept for
/// infrastructure failures (timeouts, dead actors, storage); these are values.
/// One table in http/ maps them to HTTP status codes; `code_name` gives the stable
/// UPPER_SNAKE identifier the contract promises.
enum class code : uint8_t {
  ok = 0,
  created,             // ok, and something new was made (201)
  invalid_request,     // malformed input
  token_invalid,       // not a token we issued (or not bound to this user)
  token_expired,       // a token we issued that no longer lives
  queue_not_admitted,  // token is WAITING, route needs ACTIVE
  concert_not_found,
  schedule_not_found,
  seat_not_found,
  seat_unavailable,         // held or sold by someone else
  hold_limit_reached,       // too many live holds for this user
  reservation_not_found,    // unknown, or another user's
  reservation_expired,      // hold lapsed before payment
  reservation_not_payable,  // already paid (other key), paying, or cancelled
  insufficient_points,
  invalid_amount,
  unavailable,  // system busy or shutting down
};

constexpr std::string_view code_name(code c) {
  switch (c) {
    case code::ok:
      return "OK";
    case code::created:
      return "CREATED";
    case code::invalid_request:
      return "INVALID_REQUEST";
    case code::token_invalid:
      return "TOKEN_INVALID";
    case code::token_expired:
      return "TOKEN_EXPIRED";
    case code::queue_not_admitted:
      return "QUEUE_NOT_ADMITTED";
    case code::concert_not_found:
      return "CONCERT_NOT_FOUND";
    case code::schedule_not_found:
      return "SCHEDULE_NOT_FOUND";
    case code::seat_not_found:
      return "SEAT_NOT_FOUND";
    case code::seat_unavailable:
      return "SEAT_UNAVAILABLE";
    case code::hold_limit_reached:
      return "HOLD_LIMIT_REACHED";
    case code::reservation_not_found:
      return "RESERVATION_NOT_FOUND";
    case code::reservation_expired:
      return "RESERVATION_EXPIRED";
    case code::reservation_not_payable:
      return "RESERVATION_NOT_PAYABLE";
    case code::insufficient_points:
      return "INSUFFICIENT_POINTS";
    case code::invalid_amount:
      return "INVALID_AMOUNT";
    case code::unavailable:
      return "SERVICE_UNAVAILABLE";
  }
  return "UNKNOWN";
}

constexpr bool succeeded(code c) { return c == code::ok || c == code::created; }

enum class seat_status : uint8_t { available = 0, held, paying, sold };
/// The contract knows AVAILABLE, HELD and SOLD; PAYING is shown as HELD.
constexpr std::string_view seat_status_name(seat_status s) {
  switch (s) {
    case seat_status::available:
      return "AVAILABLE";
    case seat_status::held:
    case seat_status::paying:
      return "HELD";
    case seat_status::sold:
      return "SOLD";
  }
  return "UNKNOWN";
}

enum class reservation_status : uint8_t { held = 0, confirmed, expired };
constexpr std::string_view reservation_status_name(reservation_status s) {
  switch (s) {
    case reservation_status::held:
      return "HELD";
    case reservation_status::confirmed:
      return "CONFIRMED";
    case reservation_status::expired:
      return "EXPIRED";
  }
  return "UNKNOWN";
}

enum class history_kind : uint8_t { charge = 0, payment };
constexpr std::string_view history_kind_name(history_kind k) {
  return k == history_kind::charge ? "CHARGE" : "PAYMENT";
}

// ---- value types that cross actor boundaries (inspect() lives in actors/messages.hpp) ----

/// What a token holder sees. `position` is 0 when active.
struct token_view {
  std::string token;
  user_id user = 0;
  bool active = false;
  uint64_t position = 0;
  int64_t eta_seconds = 0;
  int64_t next_poll_seconds = 0;
  time_us expires_at = 0;
};

/// One token's answer in a batched poll (see gate_actor): the code, and the view when ok.
struct poll_answer {
  code status = code::ok;
  token_view view;
};

struct concert_info {
  concert_id id = 0;
  std::string title;
  std::string performer;
  std::string venue;
};

struct schedule_info {
  schedule_id id = 0;
  concert_id concert = 0;
  time_us starts_at = 0;
  uint32_t total_seats = 0;
  uint32_t available_seats = 0;
};

struct seat_info {
  seat_no seat = 0;
  points price = 0;
  seat_status status = seat_status::available;
};

struct reservation {
  reservation_id id = 0;
  user_id user = 0;
  schedule_id schedule = 0;
  seat_no seat = 0;
  points price = 0;
  reservation_status status = reservation_status::held;
  time_us expires_at = 0;
};

struct payment {
  uint64_t id = 0;  // equals the reservation id: one payment per reservation
  reservation_id reservation = 0;
  user_id user = 0;
  points amount = 0;
  points balance = 0;  // after the debit
  time_us paid_at = 0;
};

struct history_entry {
  history_kind kind = history_kind::charge;
  points amount = 0;
  points balance = 0;  // after this entry
  time_us at = 0;
};

/// Gate figures for metrics and the simulation report.
struct gate_stats {
  uint64_t waiting = 0;
  uint64_t active = 0;
  uint64_t issued_total = 0;
  uint64_t admitted_total = 0;
  uint64_t dropped_idle_total = 0;
  uint64_t expired_active_total = 0;
  uint64_t ended_total = 0;  // by payment or leave
};

/// Seat figures summed over every block, for metrics and the simulation report.
struct seat_stats {
  uint64_t available = 0;
  uint64_t held = 0;  // includes seats being paid for
  uint64_t sold = 0;
  uint64_t holds_placed_total = 0;
  uint64_t holds_expired_total = 0;

  /// Adds another part's figures (blocks into a schedule, schedules into the catalog).
  seat_stats& operator+=(const seat_stats& o) {
    available += o.available;
    held += o.held;
    sold += o.sold;
    holds_placed_total += o.holds_placed_total;
    holds_expired_total += o.holds_expired_total;
    return *this;
  }
};

}  // namespace concert
