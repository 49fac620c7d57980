// Token signing with libsodium: crypto_generichash (keyed BLAKE2b, 16-byte tag) and its
// constant-time compare; base64url via sodium's strict decoder, which also rejects
// padding and non-zero trailing bits, so each claim has exactly one token string.
#include "actors/token_codec.hpp"

#include <sodium.h>

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
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(raw.data(), raw.size(), token.data(), token.size(), nullptr, &len, &end,
                        b64_variant) != 0)
    return std::nullopt;
  if (len != raw_bytes || end != token.data() + token.size()) return std::nullopt;
  std::array<uint8_t, mac_bytes> expected{};
  mac(raw.data(), expected.data());
  if (sodium_memcmp(expected.data(), raw.data() + 16, mac_bytes) != 0) return std::nullopt;
  return token_claims{get_be64(raw.data()), get_be64(raw.data() + 8)};
}

}  // namespace concert
