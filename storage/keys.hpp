// Every RocksDB key the system writes, encoded in this one file. Ids are fixed-width
// big-endian, so RocksDB's bytewise key order equals numeric order and a scan returns
// seats, tokens and wallets sorted by id. Values are the owners' business: this file
// only offers the big-endian integer helpers that keys and small values share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/types.hpp"

namespace concert::keys {

// ---- fixed-width big-endian integers ----

/// Appends `x` as 4 big-endian bytes.
void put_be32(std::string& out, uint32_t x);
/// Appends `x` as 8 big-endian bytes.
void put_be64(std::string& out, uint64_t x);
/// The 4 bytes at `at`, or nothing when `in` is too short.
std::optional<uint32_t> get_be32(std::string_view in, size_t at = 0);
/// The 8 bytes at `at`, or nothing when `in` is too short.
std::optional<uint64_t> get_be64(std::string_view in, size_t at = 0);

/// 8 big-endian bytes (a counter value, a user id as a value).
std::string be64(uint64_t x);

// ---- family `meta`: ASCII names ----

/// Value: 4 big-endian bytes, the layout version of the whole database.
inline constexpr std::string_view schema_version = "schema_version";
/// Value: the 32 raw bytes of the gate's token-signing key (kept across restarts so
/// tokens issued before a restart stay valid).
inline constexpr std::string_view token_key = "token_key";
/// "counter/<name>"; value: 8 big-endian bytes (e.g. next reservation id, next gate seq).
std::string encode_counter(std::string_view name);
/// The name of a counter key, or nothing for another key.
std::optional<std::string_view> decode_counter(std::string_view key);

// ---- family `catalog`: one tag byte, then the id ----

/// 'C' + be64(concert id); value: the concert's description.
std::string encode_concert(concert_id id);
std::optional<concert_id> decode_concert(std::string_view key);
/// 'S' + be64(schedule id); value: the schedule and its seat prices.
std::string encode_schedule(schedule_id id);
std::optional<schedule_id> decode_schedule(std::string_view key);
/// The prefix shared by every concert key (scan it to list concerts in id order).
std::string concert_prefix();
/// The prefix shared by every schedule key.
std::string schedule_prefix();

// ---- family `seats`: be64(schedule) + be32(seat) ----

/// A seat, or a seat block keyed by its first seat number.
struct seat_key {
  schedule_id schedule = 0;
  seat_no seat = 0;
  friend bool operator==(const seat_key& a, const seat_key& b) {
    return a.schedule == b.schedule && a.seat == b.seat;
  }
};
/// be64(schedule) + be32(seat): one record per seat, or per block under its first seat.
std::string encode_seat(schedule_id schedule, seat_no seat);
std::optional<seat_key> decode_seat(std::string_view key);
/// be64(schedule): scan it to recover every seat (block) of one schedule in seat order.
std::string seats_of(schedule_id schedule);

// ---- family `wallets`: be64(user) ----

/// be64(user id); value: the user's whole encoded wallet (point reads only: wallets are
/// activated lazily, never loaded all at recovery).
std::string encode_wallet(user_id user);
std::optional<user_id> decode_wallet(std::string_view key);

// ---- family `intents`: be64(reservation) ----

/// be64(reservation id); value: an open payment intent (phase 2 of the two-phase
/// transfer). Deleted when the payment completes or is voided.
std::string encode_intent(reservation_id id);
std::optional<reservation_id> decode_intent(std::string_view key);

// ---- family `gate`: be64(seq) ----

/// be64(token sequence number); value: the token's state. A scan is queue order.
std::string encode_gate_token(uint64_t seq);
std::optional<uint64_t> decode_gate_token(std::string_view key);

// ---- scans ----

/// The smallest key greater than every key that starts with `prefix` (an exclusive
/// upper bound for a prefix scan); empty when there is none (all bytes 0xff, or empty).
std::string prefix_end(std::string_view prefix);

}  // namespace concert::keys
