#pragma once
// MQTT 3.1 / 3.1.1 control packets as plain values. The codec (decode.hpp, encode.hpp) converts
// between these and bytes; nothing here knows about sockets, sessions or threads, so the broker,
// firmware/ and bench/ share it.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace broker::codec {

enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
  auth = 15,  // MQTT 5.0 only (codec/v5); reserved in 3.1.1
};

const char* to_string(PacketType t);

// Protocol levels: 3 is MQTT 3.1 ("MQIsdp"), 4 is MQTT 3.1.1 ("MQTT").
constexpr std::uint8_t protocol_v31 = 3;
constexpr std::uint8_t protocol_v311 = 4;
// 5 is MQTT 5.0 ("MQTT"): decoded by codec/v5, which the broker does not use yet.
constexpr std::uint8_t protocol_v5 = 5;

enum class ConnectReturn : std::uint8_t {
  accepted = 0,
  unacceptable_protocol = 1,
  identifier_rejected = 2,
  server_unavailable = 3,
  bad_username_or_password = 4,
  not_authorized = 5,
};

struct Will {
  std::string topic;
  std::string payload;  // binary
  std::uint8_t qos = 0;
  bool retain = false;
};

struct Connect {
  std::uint8_t protocol_level = protocol_v311;
  bool clean_session = true;
  std::uint16_t keepalive = 0;  // seconds; 0 disables
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary
};

struct Connack {
  bool session_present = false;
  ConnectReturn code = ConnectReturn::accepted;
};

struct Publish {
  bool dup = false;
  std::uint8_t qos = 0;
  bool retain = false;
  std::string topic;
  std::uint16_t packet_id = 0;  // only when qos > 0
  std::string payload;          // binary
};

// PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a type and a packet id.
struct Ack {
  PacketType type = PacketType::puback;
  std::uint16_t packet_id = 0;
};

struct SubscribeTopic {
  std::string filter;
  std::uint8_t qos = 0;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<SubscribeTopic> topics;
};

constexpr std::uint8_t suback_failure = 0x80;

struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> codes;  // granted QoS or suback_failure
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;
};

struct Pingreq {};
struct Pingresp {};
struct Disconnect {};

using Packet =
    std::variant<Connect, Connack, Publish, Ack, Subscribe, Suback, Unsubscribe, Pingreq, Pingresp, Disconnect>;

PacketType type_of(const Packet& p);

}  // namespace broker::codec
