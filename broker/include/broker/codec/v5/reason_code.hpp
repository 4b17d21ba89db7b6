#pragma once
// MQTT 5.0 reason codes (section 2.4): every code of the specification, which packets may carry
// it, and the code a server puts in CONNACK or DISCONNECT for each decode error.
#include <cstdint>

#include "broker/codec/error.hpp"
#include "broker/codec/packet.hpp"

namespace broker::codec::v5 {

enum class ReasonCode : std::uint8_t {
  success = 0x00,  // also Normal disconnection and Granted QoS 0: see the aliases below
  granted_qos_1 = 0x01,
  granted_qos_2 = 0x02,
  disconnect_with_will_message = 0x04,
  no_matching_subscribers = 0x10,
  no_subscription_existed = 0x11,
  continue_authentication = 0x18,
  re_authenticate = 0x19,
  unspecified_error = 0x80,
  malformed_packet = 0x81,
  protocol_error = 0x82,
  implementation_specific_error = 0x83,
  unsupported_protocol_version = 0x84,
  client_identifier_not_valid = 0x85,
  bad_user_name_or_password = 0x86,
  not_authorized = 0x87,
  server_unavailable = 0x88,
  server_busy = 0x89,
  banned = 0x8A,
  server_shutting_down = 0x8B,
  bad_authentication_method = 0x8C,
  keep_alive_timeout = 0x8D,
  session_taken_over = 0x8E,
  topic_filter_invalid = 0x8F,
  topic_name_invalid = 0x90,
  packet_identifier_in_use = 0x91,
  packet_identifier_not_found = 0x92,
  receive_maximum_exceeded = 0x93,
  topic_alias_invalid = 0x94,
  packet_too_large = 0x95,
  message_rate_too_high = 0x96,
  quota_exceeded = 0x97,
  administrative_action = 0x98,
  payload_format_invalid = 0x99,
  retain_not_supported = 0x9A,
  qos_not_supported = 0x9B,
  use_another_server = 0x9C,
  server_moved = 0x9D,
  shared_subscriptions_not_supported = 0x9E,
  connection_rate_exceeded = 0x9F,
  maximum_connect_time = 0xA0,
  subscription_identifiers_not_supported = 0xA1,
  wildcard_subscriptions_not_supported = 0xA2,
};

// The names 0x00 has in DISCONNECT and SUBACK.
constexpr ReasonCode normal_disconnection = ReasonCode::success;
constexpr ReasonCode granted_qos_0 = ReasonCode::success;

// The specification's name ("Malformed Packet"), or "unknown reason code" for any other byte.
const char* to_string(ReasonCode c);

// Whether `type` (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH)
// may carry `c` (table 2-6); false for every other packet type.
bool reason_allowed(ReasonCode c, PacketType type);

// The reason code for CONNACK (before it) or DISCONNECT (after it) when v5::decode() fails with
// `e`: Malformed Packet, Protocol Error, or the specific code the spec gives (Packet too large,
// Topic Name invalid, Unsupported Protocol Version, Implementation specific error for a limit).
ReasonCode reason_for(Error e);

// Whether the specification calls `e` a Protocol Error rather than a Malformed Packet.
inline bool is_protocol_error(Error e) { return reason_for(e) == ReasonCode::protocol_error; }

}  // namespace broker::codec::v5
