// Strict decoding of what a client sends besides the path: JSON bodies (an object, no
// duplicate keys, bounded nesting, integer fields of the right type and range) and the
// Authorization / Idempotency-Key headers. Unknown body fields are ignored, so clients
// may send more than a route needs; everything a route does need is checked exactly.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "actors/types.hpp"

namespace concert::http {

/// Why input was refused: invalid_request, invalid_amount or token_invalid, and a
/// sentence for the problem's detail.
struct rejection {
  code what = code::invalid_request;
  std::string detail;
};

/// A decoded value or the rejection that replaced it.
template <class T>
class checked {
 public:
  checked(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  checked(rejection r) : error_(std::move(r)) {}  // NOLINT
  bool ok() const { return value_.has_value(); }
  const T& value() const { return *value_; }
  T& value() { return *value_; }
  const rejection& error() const { return error_; }

 private:
  std::optional<T> value_;
  rejection error_;
};

/// Nesting deeper than this is refused before any DOM is built.
inline constexpr int json_depth_max = 16;
/// Longest accepted queue token (the gate's tokens are far shorter).
inline constexpr size_t token_chars_max = 256;
/// Longest accepted Idempotency-Key.
inline constexpr size_t idempotency_key_chars_max = 128;

/// The body as a JSON object: valid UTF-8 JSON, an object at the top, no duplicate
/// keys at any level, at most json_depth_max deep. invalid_request otherwise.
checked<nlohmann::json> parse_object(std::string_view body);

/// A required positive integer field (1..max): JSON integer literal, not a float,
/// bool or string. invalid_request otherwise.
checked<uint64_t> positive_field(const nlohmann::json& object, const char* name,
                                 uint64_t max = uint64_t(INT64_MAX));

/// The `amount` of a charge. Missing or not a number: invalid_request. A number that is
/// not a positive integer literal within int64 (0, -5, 1.5, 1e3, 2^70): invalid_amount.
checked<points> amount_field(const nlohmann::json& object);

/// A header as the server saw it: its value and how many times it occurred.
struct header_value {
  std::string_view value;
  unsigned count = 0;
};

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive, token68
/// characters, at most token_chars_max). Missing, repeated or garbled: token_invalid.
checked<std::string> bearer_token(header_value authorization);

/// The Idempotency-Key: absent -> "" (no key); visible ASCII only, 1..128 characters,
/// at most once. invalid_request otherwise.
checked<std::string> idempotency_key(header_value key);

}  // namespace concert::http
