// Value encodings of record_codec.hpp: little-endian fixed-width integers and
// length-prefixed strings behind a version byte. Readers check every bound and latch a
// failure, so a short or damaged value decodes to nullopt instead of garbage.
#include "actors/record_codec.hpp"

#include "actors/byte_codec.hpp"

#include <utility>

namespace concert::records {

namespace {

constexpr uint8_t version = 1;

/// Every value opens with the format version byte.
class writer : public byte_writer {
 public:
  writer() { u8(version); }
};

/// Fails unless the value opens with the format version byte.
class reader : public byte_reader {
 public:
  explicit reader(std::string_view in) : byte_reader(in) {
    if (u8() != version) fail();
  }
};

}  // namespace

std::string encode_seat(const seat_record& r) {
  writer w;
  w.u8(static_cast<uint8_t>(r.status));
  w.u64(r.owner);
  w.u64(r.rid);
  w.i64(r.deadline);
  w.i64(r.pay_deadline);
  return w.take();
}

std::optional<seat_record> decode_seat(std::string_view bytes, seat_no seat, points price) {
  reader r{bytes};
  seat_record s;
  s.seat = seat;
  s.price = price;
  auto st = r.u8();
  s.owner = r.u64();
  s.rid = r.u64();
  s.deadline = r.i64();
  s.pay_deadline = r.i64();
  if (!r.done() || st > static_cast<uint8_t>(seat_status::sold)) return std::nullopt;
  s.status = static_cast<seat_status>(st);
  bool taken = s.status != seat_status::available;
  if (taken && (s.owner == 0 || s.rid == 0)) return std::nullopt;
  if (s.status == seat_status::paying && s.pay_deadline == 0) return std::nullopt;
  return s;
}

std::string encode_concert(const concert_info& c) {
  writer w;
  w.str(c.title);
  w.str(c.performer);
  w.str(c.venue);
  return w.take();
}

std::optional<concert_info> decode_concert(std::string_view bytes, concert_id id) {
  reader r{bytes};
  concert_info c;
  c.id = id;
  c.title = r.str();
  c.performer = r.str();
  c.venue = r.str();
  if (!r.done()) return std::nullopt;
  return c;
}

std::string encode_schedule(const schedule_def& s) {
  writer w;
  w.u64(s.concert);
  w.i64(s.starts_at);
  w.u32(static_cast<uint32_t>(s.prices.size()));
  for (auto p : s.prices) w.i64(p);
  return w.take();
}

std::optional<schedule_def> decode_schedule(std::string_view bytes, schedule_id id) {
  reader r{bytes};
  schedule_def s;
  s.id = id;
  s.concert = r.u64();
  s.starts_at = r.i64();
  auto n = r.u32();
  if (n > r.left() / 8) return std::nullopt;  // a count the bytes cannot back
  s.prices.reserve(n);
  for (uint32_t i = 0; i < n; ++i) s.prices.push_back(r.i64());
  if (!r.done()) return std::nullopt;
  return s;
}

std::string encode_gate_token(const gate_token& t) {
  writer w;
  w.u64(t.user);
  w.u8(t.active ? 1 : 0);
  w.i64(t.admitted_at);
  return w.take();
}

std::optional<gate_token> decode_gate_token(std::string_view bytes) {
  reader r{bytes};
  gate_token t;
  t.user = r.u64();
  auto active = r.u8();
  t.admitted_at = r.i64();
  if (!r.done() || active > 1 || t.user == 0) return std::nullopt;
  t.active = active == 1;
  return t;
}

std::string encode_intent(const intent& i) {
  writer w;
  w.u64(i.user);
  w.i64(i.amount);
  w.str(i.idem_key);
  return w.take();
}

std::optional<intent> decode_intent(std::string_view bytes) {
  reader r{bytes};
  intent i;
  i.user = r.u64();
  i.amount = r.i64();
  i.idem_key = r.str();
  if (!r.done() || i.user == 0 || i.amount < 0) return std::nullopt;
  return i;
}

std::string encode_layout(const layout& l) {
  writer w;
  w.u32(l.seats_per_block);
  return w.take();
}

std::optional<layout> decode_layout(std::string_view bytes) {
  reader r{bytes};
  layout l;
  l.seats_per_block = r.u32();
  if (!r.done() || l.seats_per_block == 0) return std::nullopt;
  return l;
}

}  // namespace concert::records
