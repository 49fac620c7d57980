// Key encoding for every column family (see keys.hpp for the layout). Decoders check
// the exact length and tag, so a key of one kind never parses as another.
#include "storage/keys.hpp"

namespace concert::keys {

namespace {

constexpr char concert_tag = 'C';
constexpr char schedule_tag = 'S';
constexpr std::string_view counter_prefix = "counter/";

std::string tagged(char tag, uint64_t id) {
  std::string out(1, tag);
  put_be64(out, id);
  return out;
}

std::optional<uint64_t> untag(char tag, std::string_view key) {
  if (key.size() != 9 || key[0] != tag) return std::nullopt;
  return get_be64(key, 1);
}

std::optional<uint64_t> exact_be64(std::string_view key) {
  if (key.size() != 8) return std::nullopt;
  return get_be64(key);
}

}  // namespace

void put_be32(std::string& out, uint32_t x) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(x >> shift));
}

void put_be64(std::string& out, uint64_t x) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(x >> shift));
}

std::optional<uint32_t> get_be32(std::string_view in, size_t at) {
  if (in.size() < at || in.size() - at < 4) return std::nullopt;
  uint32_t x = 0;
  for (size_t i = 0; i < 4; ++i) x = (x << 8) | static_cast<uint8_t>(in[at + i]);
  return x;
}

std::optional<uint64_t> get_be64(std::string_view in, size_t at) {
  if (in.size() < at || in.size() - at < 8) return std::nullopt;
  uint64_t x = 0;
  for (size_t i = 0; i < 8; ++i) x = (x << 8) | static_cast<uint8_t>(in[at + i]);
  return x;
}

std::string be64(uint64_t x) {
  std::string out;
  put_be64(out, x);
  return out;
}

std::string encode_counter(std::string_view name) {
  std::string out(counter_prefix);
  out.append(name);
  return out;
}

std::optional<std::string_view> decode_counter(std::string_view key) {
  if (key.size() <= counter_prefix.size() || key.substr(0, counter_prefix.size()) != counter_prefix)
    return std::nullopt;
  return key.substr(counter_prefix.size());
}

std::string encode_concert(concert_id id) { return tagged(concert_tag, id); }
std::optional<concert_id> decode_concert(std::string_view key) { return untag(concert_tag, key); }
std::string encode_schedule(schedule_id id) { return tagged(schedule_tag, id); }
std::optional<schedule_id> decode_schedule(std::string_view key) {
  return untag(schedule_tag, key);
}
std::string concert_prefix() { return std::string(1, concert_tag); }
std::string schedule_prefix() { return std::string(1, schedule_tag); }

std::string encode_seat(schedule_id schedule, seat_no seat) {
  std::string out;
  put_be64(out, schedule);
  put_be32(out, seat);
  return out;
}

std::optional<seat_key> decode_seat(std::string_view key) {
  if (key.size() != 12) return std::nullopt;
  return seat_key{*get_be64(key), *get_be32(key, 8)};
}

std::string seats_of(schedule_id schedule) { return be64(schedule); }

std::string encode_wallet(user_id user) { return be64(user); }
std::optional<user_id> decode_wallet(std::string_view key) { return exact_be64(key); }
std::string encode_intent(reservation_id id) { return be64(id); }
std::optional<reservation_id> decode_intent(std::string_view key) { return exact_be64(key); }
std::string encode_gate_token(uint64_t seq) { return be64(seq); }
std::optional<uint64_t> decode_gate_token(std::string_view key) { return exact_be64(key); }

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  // Drop trailing 0xff bytes (they cannot be incremented), then bump the last byte.
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

}  // namespace concert::keys
