// Token signing with libsodium: crypto_generichash (keyed BLAKE2b, 16-byte tag) and its
// constant-time compare. Encoding is sodium's base64url; decoding is a strict table
// decoder of our own for the one fixed length (sodium's constant-time decoder cost more
// than the MAC on every poll), which rejects padding, any other alphabet and non-zero
// trailing bits, so each claim has exactly one token string.
#include "actors/token_codec.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace concert {

namespace {

void put_be64(uint8_t* out, uint64_t x) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(x & 0xff);
    x >>= 8;
  }
}

uint64_t get_be64(const uint8_t* in) {
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x = (x << 8) | in[i];
  return x;
}

constexpr int b64_variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

/// base64url value of each byte, 64 for anything outside the alphabet.
struct b64_table {
  std::array<uint8_t, 256> v{};
  constexpr b64_table() {
    for (auto& x : v) x = 64;
    for (int i = 0; i < 26; ++i) {
      v['A' + i] = static_cast<uint8_t>(i);
      v['a' + i] = static_cast<uint8_t>(26 + i);
    }
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<uint8_t>(52 + i);
    v['-'] = 62;
    v['_'] = 63;
  }
};
constexpr b64_table b64{};

/// Decodes exactly token_chars characters into raw_bytes bytes; false on a character
/// outside the alphabet or non-zero bits after the last byte. Tokens are not secret
/// (the MAC is), so a data-dependent table lookup leaks nothing worth having.
bool decode_b64(std::string_view text, uint8_t* out) {
  static_assert(token_codec::token_chars * 6 == token_codec::raw_bytes * 8 + 2);
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (char ch : text) {
    const uint8_t x = b64.v[static_cast<uint8_t>(ch)];
    if (x == 64) return false;
    acc = (acc << 6) | x;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = static_cast<uint8_t>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  return n == token_codec::raw_bytes && acc == 0;  // the 2 spare bits must be zero
}

}  // namespace

token_codec::token_codec(const std::array<uint8_t, key_bytes>& key) : key_(key) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

void token_codec::mac(const uint8_t* msg, uint8_t* out) const {
  crypto_generichash(out, mac_bytes, msg, 16, key_.data(), key_.size());
}

std::string token_codec::encode(uint64_t seq, user_id user) const {
  std::array<uint8_t, raw_bytes> raw{};
  put_be64(raw.data(), seq);
  put_be64(raw.data() + 8, user);
  mac(raw.data(), raw.data() + 16);
  char text[token_chars + 1];
  sodium_bin2base64(text, sizeof text, raw.data(), raw.size(), b64_variant);
  return std::string(text, token_chars);
}

std::optional<token_claims> token_codec::decode(std::string_view token) const {
  if (token.size() != token_chars) return std::nullopt;  // also bounds the work
  std::array<uint8_t, raw_bytes> raw{};
  if (!decode_b64(token, raw.data())) return std::nullopt;
  std::array<uint8_t, mac_bytes> expected{};
  mac(raw.data(), expected.data());
  if (sodium_memcmp(expected.data(), raw.data() + 16, mac_bytes) != 0) return std::nullopt;
  return token_claims{get_be64(raw.data()), get_be64(raw.data() + 8)};
}

}  // namespace concert
