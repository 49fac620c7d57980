// Scenario files: a small line-based language that scripts fans step by step on the
// virtual clock, each step with the outcome it must get, e.g.
//     config max-active 1
//     at 0s user 1 token -> CREATED active
//     at 0s user 1 hold schedule 1 seat 5 as r1 -> CREATED
//     at 301s user 1 pay r1 -> RESERVATION_EXPIRED
// The grammar is in docs/simulation.md. Parsing is plain C++; running spawns the whole
// actor system on the deterministic scheduler, goes through the same token guard as the
// HTTP edge, and ends with the same invariant checks as every simulation run.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "actors/types.hpp"

namespace concert::sim {

enum class step_kind : uint8_t {
  token,
  poll,
  leave,
  concerts,
  schedules,
  seats,
  hold,
  pay,
  charge,
  balance,
  history,
  reservation,
  seat,
  gate,
};

/// What a step must get: an outcome name (a code such as CREATED, or a seat status for
/// `seat` steps) and fields such as `position 1`, `balance 0` or the flag `active`.
struct expectation {
  std::string outcome;                                      ///< empty: any
  std::vector<std::pair<std::string, std::string>> fields;  ///< value empty for a flag
};

struct scenario_step {
  int line = 0;
  time_us at = 0;  ///< µs after the scenario's start
  user_id user = 0;
  step_kind kind = step_kind::token;
  concert_id concert = 0;
  schedule_id schedule = 0;
  seat_no seat = 0;
  points amount = 0;
  std::string name;    ///< hold: binds the reservation; pay/reservation: refers to one
  std::string key;     ///< pay: Idempotency-Key (empty: none)
  bool twice = false;  ///< pay: two identical requests at once (a double click)
  bool has_expectation = false;
  expectation expect;
};

struct scenario {
  std::vector<std::pair<std::string, std::string>> config;  ///< system knob, value
  bool demo_catalog = true;
  uint32_t concerts = 1, schedules_per_concert = 1, seats_per_schedule = 50;
  std::vector<scenario_step> steps;
};

/// Parses a scenario; on false `err` names the line and the problem.
bool parse_scenario(const std::string& text, scenario& out, std::string& err);

struct scenario_result {
  bool ok = true;
  std::vector<std::string> failures;  ///< "line 7: expected CREATED, got SEAT_UNAVAILABLE"
  std::string transcript;             ///< one line per step with what it got
};

/// Runs a parsed scenario on a fresh deterministic actor system.
scenario_result run_scenario(const scenario& s);

/// Reads, parses and runs a scenario file.
scenario_result run_scenario_file(const std::string& path);

}  // namespace concert::sim
