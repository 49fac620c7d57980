// Key codec: every key kind round-trips, decoders reject other kinds, and the bytewise
// order RocksDB uses equals numeric id order (what recovery scans rely on).
#include "storage/keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <vector>

using namespace concert;

namespace {

const std::vector<uint64_t> ids = {0,
                                   1,
                                   255,
                                   256,
                                   65535,
                                   1ull << 32,
                                   (1ull << 32) + 1,
                                   1ull << 63,
                                   std::numeric_limits<uint64_t>::max()};

/// True when bytewise order of the encoded ids equals their numeric order.
template <class Encode>
bool order_preserved(Encode enc) {
  for (size_t i = 0; i + 1 < ids.size(); ++i)
    if (!(enc(ids[i]) < enc(ids[i + 1]))) return false;
  return true;
}

}  // namespace

TEST(Keys, Be64RoundTripsAndIsBigEndian) {
  EXPECT_EQ(keys::be64(0x0102030405060708ull), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  for (auto id : ids) EXPECT_EQ(keys::get_be64(keys::be64(id)), id);
  EXPECT_FALSE(keys::get_be64(std::string(7, '\0')));
  EXPECT_FALSE(keys::get_be64(std::string(8, '\0'), 1));
}

TEST(Keys, Be32RoundTrips) {
  for (uint32_t x : {0u, 1u, 256u, 0xdeadbeefu, 0xffffffffu}) {
    std::string s;
    keys::put_be32(s, x);
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(keys::get_be32(s), x);
  }
  EXPECT_FALSE(keys::get_be32("abc"));
}

TEST(Keys, WalletIntentGateRoundTripInNumericOrder) {
  for (auto id : ids) {
    EXPECT_EQ(keys::decode_wallet(keys::encode_wallet(id)), id);
    EXPECT_EQ(keys::decode_intent(keys::encode_intent(id)), id);
    EXPECT_EQ(keys::decode_gate_token(keys::encode_gate_token(id)), id);
  }
  EXPECT_TRUE(order_preserved(keys::encode_wallet));
  EXPECT_TRUE(order_preserved(keys::encode_intent));
  EXPECT_TRUE(order_preserved(keys::encode_gate_token));
  EXPECT_FALSE(keys::decode_wallet(keys::encode_seat(1, 2)));
  EXPECT_FALSE(keys::decode_gate_token(""));
}

TEST(Keys, CatalogKeysRoundTripAndDoNotMix) {
  for (auto id : ids) {
    EXPECT_EQ(keys::decode_concert(keys::encode_concert(id)), id);
    EXPECT_EQ(keys::decode_schedule(keys::encode_schedule(id)), id);
    EXPECT_FALSE(keys::decode_concert(keys::encode_schedule(id)));
    EXPECT_FALSE(keys::decode_schedule(keys::encode_concert(id)));
  }
  EXPECT_TRUE(order_preserved(keys::encode_concert));
  EXPECT_TRUE(order_preserved(keys::encode_schedule));
  EXPECT_EQ(keys::encode_concert(7).rfind(keys::concert_prefix(), 0), 0u);
  EXPECT_EQ(keys::encode_schedule(7).rfind(keys::schedule_prefix(), 0), 0u);
}

TEST(Keys, SeatKeysRoundTripAndSortBySchedule) {
  for (auto s : ids)
    for (seat_no n : {0u, 1u, 64u, 0xffffffffu}) {
      auto k = keys::encode_seat(s, n);
      EXPECT_EQ(k.size(), 12u);
      EXPECT_EQ(keys::decode_seat(k), (keys::seat_key{s, n}));
      EXPECT_EQ(k.rfind(keys::seats_of(s), 0), 0u);
    }
  // Schedule first, then seat: all of schedule 1 sorts before any of schedule 2.
  EXPECT_LT(keys::encode_seat(1, 0xffffffffu), keys::encode_seat(2, 0));
  EXPECT_LT(keys::encode_seat(1, 255), keys::encode_seat(1, 256));
  EXPECT_FALSE(keys::decode_seat(keys::encode_wallet(1)));
}

TEST(Keys, CountersRoundTrip) {
  auto k = keys::encode_counter("next_reservation");
  EXPECT_EQ(k, "counter/next_reservation");
  EXPECT_EQ(keys::decode_counter(k), std::string_view("next_reservation"));
  EXPECT_FALSE(keys::decode_counter(keys::schema_version));
  EXPECT_FALSE(keys::decode_counter("counter/"));
}

TEST(Keys, PrefixEndBoundsExactlyThePrefix) {
  EXPECT_EQ(keys::prefix_end("ab"), "ac");
  EXPECT_EQ(keys::prefix_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(keys::prefix_end(std::string(2, '\xff')), "");
  EXPECT_EQ(keys::prefix_end(""), "");
  auto p = keys::seats_of(41);
  auto end = keys::prefix_end(p);
  EXPECT_LT(keys::encode_seat(41, 0xffffffffu), end);
  EXPECT_GE(keys::encode_seat(42, 0), end);
}
