#pragma once
// Shared helpers for the codec byte-table tests: building byte strings from tables, printing
// them as hex when a check fails, and field-by-field equality for the packet structs (the codec
// itself has no operator==; only tests need one).
#include <doctest/doctest.h>

#include <cstdio>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

#include "broker/codec/decode.hpp"
#include "broker/codec/encode.hpp"
#include "broker/codec/framer.hpp"

namespace broker::codec {

inline bool operator==(const Will& a, const Will& b) {
  return a.topic == b.topic && a.payload == b.payload && a.qos == b.qos && a.retain == b.retain;
}
inline bool operator==(const Connect& a, const Connect& b) {
  return a.protocol_level == b.protocol_level && a.clean_session == b.clean_session && a.keepalive == b.keepalive &&
         a.client_id == b.client_id && a.will == b.will && a.username == b.username && a.password == b.password;
}
inline bool operator==(const Connack& a, const Connack& b) {
  return a.session_present == b.session_present && a.code == b.code;
}
inline bool operator==(const Publish& a, const Publish& b) {
  return a.dup == b.dup && a.qos == b.qos && a.retain == b.retain && a.topic == b.topic && a.packet_id == b.packet_id &&
         a.payload == b.payload;
}
inline bool operator==(const Ack& a, const Ack& b) { return a.type == b.type && a.packet_id == b.packet_id; }
inline bool operator==(const SubscribeTopic& a, const SubscribeTopic& b) {
  return a.filter == b.filter && a.qos == b.qos;
}
inline bool operator==(const Subscribe& a, const Subscribe& b) {
  return a.packet_id == b.packet_id && a.topics == b.topics;
}
inline bool operator==(const Suback& a, const Suback& b) { return a.packet_id == b.packet_id && a.codes == b.codes; }
inline bool operator==(const Unsubscribe& a, const Unsubscribe& b) {
  return a.packet_id == b.packet_id && a.filters == b.filters;
}
inline bool operator==(const Pingreq&, const Pingreq&) { return true; }
inline bool operator==(const Pingresp&, const Pingresp&) { return true; }
inline bool operator==(const Disconnect&, const Disconnect&) { return true; }

}  // namespace broker::codec

namespace codec_test {

namespace codec = broker::codec;

// Byte tables are written as int lists so that chars ('M') and values (0xC0) mix freely.
inline std::string bytes(std::initializer_list<int> table) {
  std::string out;
  for (int b : table) out.push_back(static_cast<char>(b));
  return out;
}

// Hex so that a failing comparison of binary strings is readable in doctest's output.
inline std::string hex(std::string_view s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    std::snprintf(buf, sizeof buf, "%02x ", c);
    out += buf;
  }
  if (!out.empty()) out.pop_back();
  return out;
}

// A packet with first byte `first` around `body`, the remaining length computed: used to build
// malformed variants (a body cut short, a byte appended) without recounting by hand.
inline std::string with_body(int first, std::string_view body) {
  std::uint8_t len[4];
  auto n = codec::encode_remaining_length(body.size(), len);
  std::string out(1, static_cast<char>(first));
  out.append(reinterpret_cast<const char*>(len), n);
  out.append(body);
  return out;
}

// The body of a whole packet: everything after the fixed header.
inline std::string body_of(std::string_view wire) {
  std::size_t i = 1;
  while (static_cast<std::uint8_t>(wire[i]) & 0x80) ++i;
  return std::string(wire.substr(i + 1));
}

inline std::string error_name(codec::Error e) { return codec::to_string(e); }

// The error decode() reports for `wire`, as text so a failing check names both errors.
inline std::string decode_error(std::string_view wire, std::uint8_t level = codec::protocol_v311) {
  return error_name(codec::decode(wire, level).error);
}

// The decoded packet of type T; fails the test (and returns T{}) when decoding fails or gives
// another type.
template <class T>
T decode_as(std::string_view wire, std::uint8_t level = codec::protocol_v311) {
  auto r = codec::decode(wire, level);
  REQUIRE_MESSAGE(r.ok(), "decode failed: " << error_name(r.error) << " for " << hex(wire));
  auto* p = std::get_if<T>(&r.packet);
  REQUIRE_MESSAGE(p != nullptr, "decoded another packet type for " << hex(wire));
  return *p;
}

// The three checks each byte table gets: the bytes decode to `expected`, `expected` encodes to
// the bytes, and the decoded value encodes to the same bytes again.
template <class T>
void check_table(std::string_view wire, const T& expected, std::uint8_t level = codec::protocol_v311) {
  T decoded = decode_as<T>(wire, level);
  CHECK(decoded == expected);
  CHECK(hex(codec::encode(expected)) == hex(wire));
  CHECK(hex(codec::encode(decoded)) == hex(wire));
}

}  // namespace codec_test
