// Little-endian fixed-width integers and length-prefixed strings: the one byte format
// under every stored value (record_codec.cpp, wallet.cpp). Plain C++, no storage code.
// The reader checks every bound and latches a failure, so damaged input reads as
// zeros with ok() false instead of running past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace concert {

/// Appends values to a byte string.
class byte_writer {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  /// A u32 length, then the bytes.
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void raw(const char* p, size_t n) { out_.append(p, n); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

/// Reads what byte_writer wrote; the first short read fails the whole reader.
class byte_reader {
 public:
  explicit byte_reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  /// True when every read succeeded and the whole input was read.
  bool done() const { return ok_ && at_end(); }
  /// Remaining bytes (bounds a count read from the input before allocating for it).
  size_t left() const { return ok_ ? in_.size() - pos_ : 0; }
  /// Marks the input as invalid (a value out of range).
  void fail() { ok_ = false; }

  uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(in_[pos_++])} << (8 * i);
    return v;
  }
  uint64_t u64() {
    if (!need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(in_[pos_++])} << (8 * i);
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  std::string str() {
    auto n = u32();
    if (!need(n)) return {};
    std::string s{in_.substr(pos_, n)};
    pos_ += n;
    return s;
  }

 private:
  bool need(size_t n) {
    if (ok_ && in_.size() - pos_ >= n) return true;
    ok_ = false;
    return false;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace concert
