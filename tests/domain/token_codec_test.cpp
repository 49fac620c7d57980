// Unit tests of queue token signing: round trips, and that every altered, re-keyed or
// malformed token is refused without crashing. The codec says nothing about whether a
// token still lives; that is the queue line's test.
#include "actors/token_codec.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <limits>
#include <string>

using namespace concert;

namespace {

std::array<uint8_t, 32> key_of(uint8_t fill) {
  std::array<uint8_t, 32> k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(fill + i);
  return k;
}

const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64url(const std::array<uint8_t, token_codec::raw_bytes>& raw) {
  char out[token_codec::token_chars + 1];
  sodium_bin2base64(out, sizeof out, raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::array<uint8_t, token_codec::raw_bytes> raw_of(const std::string& token) {
  std::array<uint8_t, token_codec::raw_bytes> raw{};
  size_t len = 0;
  EXPECT_EQ(sodium_base642bin(raw.data(), raw.size(), token.data(), token.size(), nullptr, &len,
                              nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  EXPECT_EQ(len, raw.size());
  return raw;
}

}  // namespace

TEST(TokenCodec, RoundTripsSeqAndUser) {
  token_codec c{key_of(1)};
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  for (auto [seq, user] : {std::pair<uint64_t, uint64_t>{1, 7},
                           {0, 0},
                           {max, max},
                           {123456789, 0x0102030405060708ULL},
                           {1ULL << 63, 1}}) {
    auto t = c.encode(seq, user);
    auto d = c.decode(t);
    ASSERT_TRUE(d) << t;
    EXPECT_EQ(d->seq, seq);
    EXPECT_EQ(d->user, user);
  }
}

TEST(TokenCodec, TokensAreUrlSafeFixedLengthAndDeterministic) {
  token_codec c{key_of(1)};
  auto t = c.encode(42, 7);
  EXPECT_EQ(t.size(), token_codec::token_chars);
  EXPECT_EQ(t.find_first_not_of(alphabet), std::string::npos) << t;
  EXPECT_EQ(t, c.encode(42, 7));
  EXPECT_NE(t, c.encode(42, 8));  // bound to the user
  EXPECT_NE(t, c.encode(43, 7));
}

TEST(TokenCodec, LayoutIsSeqThenUserBigEndianThenMac) {
  token_codec c{key_of(1)};
  auto raw = raw_of(c.encode(0x0102030405060708ULL, 0x1112131415161718ULL));
  EXPECT_EQ(raw[0], 0x01);
  EXPECT_EQ(raw[7], 0x08);
  EXPECT_EQ(raw[8], 0x11);
  EXPECT_EQ(raw[15], 0x18);
  std::array<uint8_t, 16> mac{};
  auto k = key_of(1);
  crypto_generichash(mac.data(), mac.size(), raw.data(), 16, k.data(), k.size());
  EXPECT_EQ(0, sodium_memcmp(mac.data(), raw.data() + 16, 16));
}

TEST(TokenCodec, ChangingAnyCharacterInvalidatesTheToken) {
  token_codec c{key_of(1)};
  auto t = c.encode(1001, 77);
  int refused = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    for (char ch : alphabet) {
      if (ch == t[i]) continue;
      auto bad = t;
      bad[i] = ch;
      EXPECT_FALSE(c.decode(bad)) << "position " << i << " char " << ch;
      ++refused;
    }
  }
  EXPECT_EQ(refused, 43 * 63);
}

TEST(TokenCodec, FlippingAnyBitOfTheRawTokenInvalidatesIt) {
  token_codec c{key_of(1)};
  auto raw = raw_of(c.encode(5, 6));
  for (size_t byte = 0; byte < raw.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = raw;
      bad[byte] ^= static_cast<uint8_t>(1u << bit);
      EXPECT_FALSE(c.decode(b64url(bad))) << "byte " << byte << " bit " << bit;
    }
  }
  EXPECT_TRUE(c.decode(b64url(raw)));  // the unaltered bytes still verify
}

TEST(TokenCodec, AnotherKeyRefusesTheToken) {
  token_codec a{key_of(1)};
  token_codec b{key_of(2)};
  auto t = a.encode(9, 9);
  EXPECT_TRUE(a.decode(t));
  EXPECT_FALSE(b.decode(t));
  EXPECT_FALSE(a.decode(b.encode(9, 9)));
}

TEST(TokenCodec, GarbageIsRefused) {
  token_codec c{key_of(1)};
  auto good = c.encode(3, 4);
  std::string std_alphabet = good;
  std_alphabet[5] = '+';
  std::string with_nul = good;
  with_nul[10] = '\0';
  std::string with_space = good;
  with_space[0] = ' ';
  for (const std::string& bad : {
           std::string{},
           std::string{"abc"},
           std::string(43, '='),
           good.substr(0, 42),
           good.substr(0, 42) + "=",
           good + "=",
           good + "A",
           good + good,
           std_alphabet,
           with_nul,
           with_space,
           std::string(43, 'A'),
           std::string(1 << 20, 'A'),
           std::string("Bearer ") + good,
       }) {
    EXPECT_FALSE(c.decode(bad)) << "'" << bad.substr(0, 60) << "' size " << bad.size();
  }
}

TEST(TokenCodec, NonCanonicalTrailingBitsAreRefused) {
  // 43 characters carry 258 bits for 256: the last character's low 2 bits must be zero,
  // else two strings would name the same token.
  token_codec c{key_of(1)};
  auto t = c.encode(11, 12);
  auto pos = alphabet.find(t.back());
  ASSERT_EQ(pos % 4, 0u);
  for (size_t low = 1; low < 4; ++low) {
    auto bad = t;
    bad.back() = alphabet[pos + low];
    EXPECT_FALSE(c.decode(bad)) << bad;
  }
}
