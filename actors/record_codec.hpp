// The byte encoding of every stored value except whole wallets (wallet.hpp encodes
// those): seat states, catalog entries, gate tokens, payment intents and the seat layout.
// Plain C++ with no storage include: keys live in storage/keys.hpp, this file only turns
// values into bytes and back. Every value starts with a format version byte, and decode
// refuses anything it does not fully understand (any input is safe to decode).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/catalog.hpp"
#include "actors/seat_block.hpp"
#include "actors/types.hpp"

namespace concert::records {

/// Meta entry (value: encode_layout) holding the seat layout reservation ids depend on.
inline constexpr std::string_view layout_key = "layout";
/// Counter name (keys::encode_counter) of the gate's next token sequence number.
inline constexpr std::string_view gate_seq_counter = "gate_seq";

// ---- seats: the whole state of one seat (price and seat number come from the catalog) ----

/// status, owner, reservation id, hold deadline, pay deadline.
std::string encode_seat(const seat_record& r);
/// The stored state of `seat` (whose catalog price is `price`), or nullopt when `bytes`
/// is not a valid seat state (unknown status, a HELD/PAYING/SOLD seat without owner or id).
std::optional<seat_record> decode_seat(std::string_view bytes, seat_no seat, points price);

// ---- catalog ----

std::string encode_concert(const concert_info& c);
/// REQUIRES nothing; `id` comes from the key.
std::optional<concert_info> decode_concert(std::string_view bytes, concert_id id);
/// The schedule with every seat price.
std::string encode_schedule(const schedule_def& s);
std::optional<schedule_def> decode_schedule(std::string_view bytes, schedule_id id);

// ---- gate ----

/// One live queue token as stored under its sequence number.
struct gate_token {
  user_id user = 0;
  bool active = false;
  time_us admitted_at = 0;  ///< when active
};
std::string encode_gate_token(const gate_token& t);
std::optional<gate_token> decode_gate_token(std::string_view bytes);

// ---- payment intents ----

/// An open payment: the wallet debited `amount` from `user` for the reservation named by
/// the key, and the sale is not known to be settled yet. `idem_key` is the request's
/// idempotency key (may be empty), so a completed recovery can answer a retry with it.
struct intent {
  user_id user = 0;
  points amount = 0;
  std::string idem_key;
};
std::string encode_intent(const intent& i);
std::optional<intent> decode_intent(std::string_view bytes);

// ---- layout ----

/// The facts that reservation ids depend on (block ids are numbered from them).
struct layout {
  uint32_t seats_per_block = 0;
};
std::string encode_layout(const layout& l);
std::optional<layout> decode_layout(std::string_view bytes);

}  // namespace concert::records
