#pragma once
// The byte-level reader and writer every decoder and encoder of the codec shares (3.1.1 in
// decode.cpp/encode.cpp, 5.0 under v5/). Private to the codec: not installed under include/.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "broker/codec/decode.hpp"
#include "broker/codec/encode.hpp"
#include "broker/codec/error.hpp"
#include "broker/codec/framer.hpp"
#include "broker/topic.hpp"

namespace broker::codec::wire {

// The largest value a Variable Byte Integer holds (four bytes), as for the remaining length.
constexpr std::uint32_t max_variable_byte_integer = 268'435'455;

// Reads big-endian fields from a packet body; every read checks bounds and records the first
// error, so decoders read straight through and check once. A length is always checked against
// the bytes left before anything is taken or allocated from it.
class Reader {
 public:
  explicit Reader(std::string_view body) : body_(body) {}

  bool failed() const { return error_ != Error::none; }
  Error error() const { return error_; }
  bool at_end() const { return pos_ == body_.size(); }
  std::size_t left() const { return body_.size() - pos_; }
  void fail(Error e) {
    if (error_ == Error::none) error_ = e;
  }

  std::uint8_t u8() {
    if (left() < 1) return fail(Error::truncated), 0;
    return static_cast<std::uint8_t>(body_[pos_++]);
  }
  std::uint16_t u16() {
    if (left() < 2) return fail(Error::truncated), 0;
    auto hi = static_cast<std::uint8_t>(body_[pos_]);
    auto lo = static_cast<std::uint8_t>(body_[pos_ + 1]);
    pos_ += 2;
    return static_cast<std::uint16_t>(hi << 8 | lo);
  }
  std::uint32_t u32() {
    std::uint32_t hi = u16();
    std::uint32_t lo = u16();
    return hi << 16 | lo;
  }
  // MQTT 5.0 section 1.5.5: at most four bytes, and in the fewest bytes that hold the value
  // [MQTT-1.5.5-1]: a padded form (a last byte of 0 after a continuation) is malformed.
  std::uint32_t variable_byte_integer() {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      auto byte = u8();
      if (failed()) return 0;
      value |= static_cast<std::uint32_t>(byte & 0x7F) << (7 * i);
      if ((byte & 0x80) == 0) {
        if (i > 0 && byte == 0) return fail(Error::bad_variable_byte_integer), 0;
        return value;
      }
    }
    return fail(Error::bad_variable_byte_integer), 0;
  }
  std::string_view bytes(std::size_t n) {
    if (left() < n) return fail(Error::truncated), std::string_view{};
    auto v = body_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  // A length-prefixed binary field.
  std::string_view binary() {
    auto n = u16();
    if (failed()) return {};
    return bytes(n);
  }
  // A length-prefixed UTF-8 string.
  std::string_view utf8() {
    auto s = binary();
    if (!failed() && !valid_utf8(s)) fail(Error::bad_utf8);
    return s;
  }
  std::string_view rest() { return bytes(left()); }

 private:
  std::string_view body_;
  std::size_t pos_ = 0;
  Error error_ = Error::none;
};

// The CONNECT flags byte (section 3.1.2.3 of both 3.1.1 and 5.0) and the rules the versions
// share: the reserved bit is 0, will QoS 3 is malformed, will QoS and retain only with a will.
struct ConnectFlags {
  explicit ConnectFlags(std::uint8_t f)
      : user(f & 0x80),
        password(f & 0x40),
        will_retain(f & 0x20),
        will_qos(static_cast<std::uint8_t>((f >> 3) & 0x03)),
        will(f & 0x04),
        clean(f & 0x02),
        reserved(f & 0x01) {}
  Error error() const {
    if (reserved) return Error::bad_connect_flags;
    if (will_qos == 3) return Error::bad_qos;
    if (!will && (will_qos != 0 || will_retain)) return Error::bad_connect_flags;
    return Error::none;
  }
  bool user, password, will_retain;
  std::uint8_t will_qos;
  bool will, clean, reserved;
};

// UNSUBSCRIBE's payload (section 3.10.3 of both versions): valid topic filters up to the end of
// the packet, at least one.
inline Error read_unsubscribe_filters(Reader& r, std::vector<std::string>& filters) {
  while (!r.failed() && !r.at_end()) {
    auto filter = r.utf8();
    if (r.failed()) break;
    if (!valid_topic_filter(filter)) return Error::bad_topic_filter;
    filters.emplace_back(filter);
  }
  if (!r.failed() && filters.empty()) return Error::empty_subscription;
  return Error::none;
}

// Appends big-endian fields. Encoding trusts its input: a value the wire cannot carry is the
// caller's bug and throws std::length_error.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v & 0xFF));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v & 0xFFFF));
  }
  void variable_byte_integer(std::size_t v) {
    if (v > max_variable_byte_integer) throw std::length_error("MQTT variable byte integer too large");
    std::uint8_t b[4];
    auto n = encode_remaining_length(v, b);
    out_.append(reinterpret_cast<const char*>(b), n);
  }
  void field(std::string_view s) {
    if (s.size() > 0xFFFF) throw std::length_error("MQTT string field over 65535 bytes");
    u16(static_cast<std::uint16_t>(s.size()));
    out_.append(s);
  }
  void raw(std::string_view s) { out_.append(s); }
  void header(std::uint8_t first, std::size_t remaining) {
    if (remaining > max_remaining_length) throw std::length_error("MQTT packet too large");
    std::uint8_t len[4];
    auto n = encode_remaining_length(remaining, len);
    u8(first);
    out_.append(reinterpret_cast<const char*>(len), n);
  }

 private:
  std::string& out_;
};

}  // namespace broker::codec::wire
