// The stored value encodings (record_codec.hpp): every value survives a round trip, and
// damaged or foreign bytes (truncated, extended, a wrong version, impossible fields)
// decode to nothing instead of a wrong state.
#include "actors/record_codec.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace concert;

namespace {

seat_record paying_seat() {
  seat_record r;
  r.seat = 17;
  r.price = 150'000;
  r.status = seat_status::paying;
  r.owner = 42;
  r.rid = make_reservation_id(3, 9);
  r.deadline = seconds_us(1'800'000'300);
  r.pay_deadline = seconds_us(1'800'000'030);
  return r;
}

/// Every strict prefix and a one-byte extension of `bytes` must be refused by `decode`.
template <class Decode>
void expect_damage_refused(const std::string& bytes, Decode decode) {
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode(bytes.substr(0, n))) << n;
  EXPECT_FALSE(decode(bytes + '\0'));
  auto other_version = bytes;
  other_version[0] = static_cast<char>(other_version[0] + 1);
  EXPECT_FALSE(decode(other_version));
}

}  // namespace

TEST(RecordCodecTest, SeatStateRoundTripsWithCatalogFacts) {
  auto r = paying_seat();
  auto bytes = records::encode_seat(r);
  auto back = records::decode_seat(bytes, r.seat, r.price);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, r.status);
  EXPECT_EQ(back->owner, r.owner);
  EXPECT_EQ(back->rid, r.rid);
  EXPECT_EQ(back->deadline, r.deadline);
  EXPECT_EQ(back->pay_deadline, r.pay_deadline);
  EXPECT_EQ(back->seat, 17u);
  EXPECT_EQ(back->price, 150'000);
  expect_damage_refused(bytes,
                        [&](const std::string& b) { return records::decode_seat(b, 17, 1); });
}

TEST(RecordCodecTest, ImpossibleSeatStatesAreRefused) {
  auto r = paying_seat();
  r.owner = 0;  // a taken seat without an owner
  EXPECT_FALSE(records::decode_seat(records::encode_seat(r), 17, 1));
  r = paying_seat();
  r.pay_deadline = 0;  // paying without a pay deadline
  EXPECT_FALSE(records::decode_seat(records::encode_seat(r), 17, 1));
  auto bytes = records::encode_seat(paying_seat());
  bytes[1] = 9;  // no such status
  EXPECT_FALSE(records::decode_seat(bytes, 17, 1));
  seat_record lapsed = paying_seat();  // an available seat may remember its last id
  lapsed.status = seat_status::available;
  EXPECT_TRUE(records::decode_seat(records::encode_seat(lapsed), 17, 1));
}

TEST(RecordCodecTest, CatalogEntriesRoundTrip) {
  concert_info c{7, "Title", "Performer", "Venue"};
  auto cb = records::encode_concert(c);
  auto c2 = records::decode_concert(cb, 7);
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->id, 7u);
  EXPECT_EQ(c2->title, "Title");
  EXPECT_EQ(c2->performer, "Performer");
  EXPECT_EQ(c2->venue, "Venue");
  expect_damage_refused(cb, [](const std::string& b) { return records::decode_concert(b, 7); });

  schedule_def s{3, 7, seconds_us(1'900'000'000), {150'000, 100'000, 60'000}};
  auto sb = records::encode_schedule(s);
  auto s2 = records::decode_schedule(sb, 3);
  ASSERT_TRUE(s2);
  EXPECT_EQ(s2->id, 3u);
  EXPECT_EQ(s2->concert, 7u);
  EXPECT_EQ(s2->starts_at, s.starts_at);
  EXPECT_EQ(s2->prices, s.prices);
  expect_damage_refused(sb, [](const std::string& b) { return records::decode_schedule(b, 3); });
}

TEST(RecordCodecTest, ASeatCountTheBytesCannotHoldIsRefused) {
  schedule_def s{3, 7, 0, {1, 2}};
  auto sb = records::encode_schedule(s);
  sb[1 + 8 + 8 + 3] = '\x7f';  // count = 0x7f000002: far more prices than bytes
  EXPECT_FALSE(records::decode_schedule(sb, 3));
}

TEST(RecordCodecTest, GateTokensIntentsAndLayoutRoundTrip) {
  records::gate_token t{99, true, seconds_us(1'800'000'123)};
  auto tb = records::encode_gate_token(t);
  auto t2 = records::decode_gate_token(tb);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->user, 99u);
  EXPECT_TRUE(t2->active);
  EXPECT_EQ(t2->admitted_at, t.admitted_at);
  expect_damage_refused(tb, [](const std::string& b) { return records::decode_gate_token(b); });
  EXPECT_FALSE(records::decode_gate_token(records::encode_gate_token({0, false, 0})));

  records::intent in{5, 60'000, "idem-key"};
  auto ib = records::encode_intent(in);
  auto in2 = records::decode_intent(ib);
  ASSERT_TRUE(in2);
  EXPECT_EQ(in2->user, 5u);
  EXPECT_EQ(in2->amount, 60'000);
  EXPECT_EQ(in2->idem_key, "idem-key");
  expect_damage_refused(ib, [](const std::string& b) { return records::decode_intent(b); });

  auto lb = records::encode_layout({64});
  ASSERT_TRUE(records::decode_layout(lb));
  EXPECT_EQ(records::decode_layout(lb)->seats_per_block, 64u);
  expect_damage_refused(lb, [](const std::string& b) { return records::decode_layout(b); });
  EXPECT_FALSE(records::decode_layout(records::encode_layout({0})));
}
