#pragma once
// The few MQTT 3.1.1 packets a lock sends and receives, encoded into and decoded from caller-owned
// fixed buffers. Sakura's codec (broker/codec) is the full implementation, but its packets are
// std::string/std::variant values and it reports oversize input by throwing, which an MCU build
// without heap or exceptions cannot use; the host tests check these bytes against it.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace firmware::wire {

enum Type : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
};

struct ConnectFields {
  std::string_view client_id;
  std::string_view username;
  std::string_view password;
  std::string_view will_topic;  // empty: no will
  std::string_view will_payload;
  std::uint8_t will_qos = 0;
  bool will_retain = false;
  std::uint16_t keepalive_s = 0;
  std::uint8_t protocol_level = 4;  // 4: MQTT 3.1.1 ("MQTT"); 3: MQTT 3.1 ("MQIsdp"), as older locks
};

// Each encoder returns the packet's length, or 0 when it does not fit in `capacity`.
std::size_t encode_connect(std::uint8_t* out, std::size_t capacity, const ConnectFields& f);
std::size_t encode_publish(std::uint8_t* out, std::size_t capacity, std::string_view topic, std::string_view payload,
                           std::uint8_t qos, std::uint16_t packet_id);
std::size_t encode_subscribe(std::uint8_t* out, std::size_t capacity, std::uint16_t packet_id,
                             const std::string_view* filters, std::size_t count, std::uint8_t qos);
// PUBACK, PUBREC, PUBREL, PUBCOMP: a type and a packet id.
std::size_t encode_ack(std::uint8_t* out, std::size_t capacity, Type type, std::uint16_t packet_id);
// PINGREQ and DISCONNECT: two bytes.
std::size_t encode_empty(std::uint8_t* out, std::size_t capacity, Type type);

struct Header {
  std::uint8_t first = 0;  // type << 4 | flags
  std::uint32_t remaining = 0;
  std::uint8_t size = 0;  // 1 + remaining-length bytes
  Type type() const { return static_cast<Type>(first >> 4); }
  std::uint8_t flags() const { return first & 0x0f; }
  std::size_t total() const { return size + static_cast<std::size_t>(remaining); }
};
enum class HeaderStatus : std::uint8_t { need_more, ok, malformed };
HeaderStatus parse_header(const std::uint8_t* data, std::size_t size, Header& out);

struct InPublish {
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;
  std::string_view topic;    // points into the packet body
  std::string_view payload;  // points into the packet body
};

// Decoders take the body (after the fixed header) and reject what a broker must never send.
bool decode_connack(std::uint8_t flags, const std::uint8_t* body, std::size_t size, std::uint8_t& return_code);
bool decode_publish(std::uint8_t flags, const std::uint8_t* body, std::size_t size, InPublish& out);
// PUBACK, PUBREC, PUBREL (flags 2), PUBCOMP, UNSUBACK.
bool decode_ack(Type type, std::uint8_t flags, const std::uint8_t* body, std::size_t size, std::uint16_t& packet_id);
// SUBACK: `codes` points at the return codes, one per filter.
bool decode_suback(std::uint8_t flags, const std::uint8_t* body, std::size_t size, std::uint16_t& packet_id,
                   const std::uint8_t*& codes, std::size_t& count);

}  // namespace firmware::wire
