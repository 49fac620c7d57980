// Queue tokens as opaque strings: base64url (no padding) of seq || user || MAC, where
// the MAC is a keyed BLAKE2b over seq || user. A token is unguessable without the key
// and bound to its user; whether it still lives is the queue line's business, not this.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/types.hpp"

namespace concert {

/// What a genuine token says.
struct token_claims {
  uint64_t seq = 0;
  user_id user = 0;
};

/// Signs and verifies tokens with one 32-byte key. Thread-safe (const after build).
class token_codec {
 public:
  static constexpr size_t key_bytes = 32;
  static constexpr size_t mac_bytes = 16;
  static constexpr size_t raw_bytes = 8 + 8 + mac_bytes;
  /// Length of every token string: base64 of 32 bytes without padding.
  static constexpr size_t token_chars = 43;

  /// Initialises libsodium (idempotent); throws std::runtime_error if it cannot.
  explicit token_codec(const std::array<uint8_t, key_bytes>& key = {});

  /// The token string of (seq, user).
  std::string encode(uint64_t seq, user_id user) const;

  /// The claims of a token this key signed; nullopt for anything else (wrong length,
  /// bad alphabet, padding, non-canonical trailing bits, a MAC that does not verify).
  std::optional<token_claims> decode(std::string_view token) const;

 private:
  void mac(const uint8_t* msg, uint8_t* out) const;

  std::array<uint8_t, key_bytes> key_;
};

}  // namespace concert
