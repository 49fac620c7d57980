// The end-of-run checks every mode runs: from the driver's own records (recorder) and the
// system's final state (every seat with its status, the balance, history and
// reservations of every user the run touched) it lists every broken promise: a seat sold
// twice or without a payment, a negative or unbalanced wallet, money that does not add
// up, a hold that outlived its deadline, a fan admitted ahead of an earlier one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "actors/types.hpp"
#include "simulation/recorder.hpp"

namespace concert::sim {

/// The system as it stands after the run, read back by the driver.
struct final_state {
  time_us now = 0;  ///< system clock (epoch scale) when it was read
  std::map<schedule_id, std::vector<seat_info>> seats;  ///< every seat of every schedule
  std::map<user_id, points> balances;
  std::map<user_id, std::vector<history_entry>> histories;  ///< newest first
  std::map<reservation_id, reservation> reservations;       ///< the run's holds, as of now
  /// The gate's admissions in the order it made them (token sequence numbers), since it
  /// last started; empty when the gate does not say (http mode).
  std::vector<uint64_t> admissions;
  /// Every holder of the system is one of this run's fans (inproc and live; an HTTP
  /// target may have other clients, then seats held or sold by others are not flagged).
  bool exclusive = true;
};

struct invariant_result {
  bool ok = true;
  std::vector<std::string> violations;  ///< at most `limit` listed
  uint64_t total = 0;                   ///< all of them, listed or not
  uint64_t holds_expired = 0;           ///< unpaid holds whose deadline passed
  uint64_t seats_sold = 0;
};

/// Checks everything; `limit` caps how many violations are spelled out.
invariant_result check_invariants(const recorder& rec, const final_state& fs, size_t limit = 50);

/// FIFO admission alone: the tokens whose admission overtook an earlier-issued token that
/// was still waiting. With `ordered` stamps (one sender, FIFO channel) token A is earlier
/// than B when A.issue_send < B.issue_send and A was still waiting after B was admitted
/// when A.last_wait_send > B.first_active_recv (B's admission observation stamp). Without
/// it, A is certainly earlier only when its issue reply came before B's issue was sent.
/// Exact FIFO from the gate's own log: every admission's token was issued after the one
/// admitted before it (sequence numbers strictly increase).
std::vector<std::string> check_admission_order(const std::vector<uint64_t>& admissions,
                                               size_t limit);

std::vector<std::string> check_fifo(const std::vector<token_record>& tokens, bool ordered,
                                    size_t limit);

}  // namespace concert::sim
