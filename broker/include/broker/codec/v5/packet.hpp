#pragma once
// MQTT 5.0 control packets as plain values, beside the 3.1/3.1.1 ones of codec/packet.hpp. The
// broker knows a connection's protocol version after CONNECT and then uses one codec or the
// other, so the 3.1.1 path never builds or skips a property block.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "broker/codec/packet.hpp"
#include "broker/codec/v5/properties.hpp"
#include "broker/codec/v5/reason_code.hpp"

namespace broker::codec::v5 {

struct Will {
  Properties properties;  // Will Properties: expiry, delay, format, content type, response, ...
  std::string topic;
  std::string payload;  // binary
  std::uint8_t qos = 0;
  bool retain = false;
};

struct Connect {
  bool clean_start = true;
  std::uint16_t keepalive = 0;  // seconds; 0 disables
  Properties properties;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary; unlike 3.1.1 it may come without a user name
};

struct Connack {
  bool session_present = false;
  ReasonCode reason = ReasonCode::success;
  Properties properties;
};

struct Publish {
  bool dup = false;
  std::uint8_t qos = 0;
  bool retain = false;
  std::string topic;            // empty only with a Topic Alias
  std::uint16_t packet_id = 0;  // only when qos > 0
  Properties properties;
  std::string payload;  // binary
};

// PUBACK, PUBREC, PUBREL and PUBCOMP. On the wire the reason code and the properties may be left
// out (Success, none); encode() writes the shortest form that keeps what the value holds.
struct PubAck {
  PacketType type = PacketType::puback;
  std::uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::success;
  Properties properties;
};

enum class RetainHandling : std::uint8_t {
  send = 0,         // send retained messages at subscribe
  send_if_new = 1,  // only if the subscription did not exist
  do_not_send = 2,
};

// A topic filter and its Subscription Options byte (section 3.8.3.1).
struct SubscribeTopic {
  std::string filter;
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  RetainHandling retain_handling = RetainHandling::send;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  Properties properties;  // at most one Subscription Identifier, User Properties
  std::vector<SubscribeTopic> topics;
};

// SUBACK and UNSUBACK: one reason code per topic filter of the request, in its order.
struct Suback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reasons;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string> filters;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reasons;
};

// DISCONNECT, from either side; the reason code and properties may be left out on the wire.
struct Disconnect {
  ReasonCode reason = normal_disconnection;
  Properties properties;
};

// AUTH (enhanced authentication); the reason code and properties may be left out on the wire.
struct Auth {
  ReasonCode reason = ReasonCode::success;
  Properties properties;
};

using Packet = std::variant<Connect, Connack, Publish, PubAck, Subscribe, Suback, Unsubscribe, Unsuback, Pingreq,
                            Pingresp, Disconnect, Auth>;

PacketType type_of(const Packet& p);

}  // namespace broker::codec::v5
