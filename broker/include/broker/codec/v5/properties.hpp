#pragma once
// MQTT 5.0 properties (section 2.2.2): every property of the specification with its identifier
// and type, the packets it may appear in, and a plain struct holding a decoded property block.
//
// A property that may appear once is an std::optional; the two that may repeat (User Property
// everywhere, Subscription Identifier in PUBLISH) are vectors kept in wire order, which the spec
// requires for User Properties. Encoding writes properties in identifier order.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/codec/packet.hpp"

namespace broker::codec::v5 {

enum class PropertyId : std::uint8_t {
  payload_format_indicator = 0x01,
  message_expiry_interval = 0x02,
  content_type = 0x03,
  response_topic = 0x08,
  correlation_data = 0x09,
  subscription_identifier = 0x0B,
  session_expiry_interval = 0x11,
  assigned_client_identifier = 0x12,
  server_keep_alive = 0x13,
  authentication_method = 0x15,
  authentication_data = 0x16,
  request_problem_information = 0x17,
  will_delay_interval = 0x18,
  request_response_information = 0x19,
  response_information = 0x1A,
  server_reference = 0x1C,
  reason_string = 0x1F,
  receive_maximum = 0x21,
  topic_alias_maximum = 0x22,
  topic_alias = 0x23,
  maximum_qos = 0x24,
  retain_available = 0x25,
  user_property = 0x26,
  maximum_packet_size = 0x27,
  wildcard_subscription_available = 0x28,
  subscription_identifier_available = 0x29,
  shared_subscription_available = 0x2A,
};

// The data types of section 1.5.
enum class PropertyType : std::uint8_t {
  byte,
  two_byte_integer,
  four_byte_integer,
  variable_byte_integer,
  utf8_string,
  binary_data,
  utf8_string_pair,
};

// Where a property block sits: a packet type, or the Will Properties of a CONNECT (0, which is
// no packet type).
enum class PropertyContext : std::uint8_t {
  will = 0,
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
  disconnect = 14,
  auth = 15,
};

inline PropertyContext context_of(PacketType t) { return static_cast<PropertyContext>(static_cast<std::uint8_t>(t)); }

// The identifiers the specification defines (all 27, in identifier order).
extern const PropertyId all_properties[27];

// The specification's name ("Message Expiry Interval"); "unknown property" for any other id.
const char* to_string(PropertyId id);
PropertyType type_of(PropertyId id);
// Table 2-4: whether `id` may appear in `context`. False for an identifier not defined.
bool allowed_in(PropertyId id, PropertyContext context);
// Whether `id` may appear more than once in `context`: User Property anywhere it is allowed,
// Subscription Identifier in PUBLISH only (once in SUBSCRIBE).
bool repeatable_in(PropertyId id, PropertyContext context);

struct UserProperty {
  std::string name;
  std::string value;
};

struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;  // 0 bytes, 1 UTF-8
  std::optional<std::uint32_t> message_expiry_interval;  // seconds
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;           // binary
  std::vector<std::uint32_t> subscription_identifiers;   // 1 to 268,435,455
  std::optional<std::uint32_t> session_expiry_interval;  // seconds
  std::optional<std::string> assigned_client_identifier;
  std::optional<std::uint16_t> server_keep_alive;  // seconds
  std::optional<std::string> authentication_method;
  std::optional<std::string> authentication_data;            // binary
  std::optional<std::uint8_t> request_problem_information;   // 0 or 1
  std::optional<std::uint32_t> will_delay_interval;          // seconds
  std::optional<std::uint8_t> request_response_information;  // 0 or 1
  std::optional<std::string> response_information;
  std::optional<std::string> server_reference;
  std::optional<std::string> reason_string;
  std::optional<std::uint16_t> receive_maximum;  // not 0
  std::optional<std::uint16_t> topic_alias_maximum;
  std::optional<std::uint16_t> topic_alias;                       // not 0
  std::optional<std::uint8_t> maximum_qos;                        // 0 or 1
  std::optional<std::uint8_t> retain_available;                   // 0 or 1
  std::vector<UserProperty> user_properties;                      // in wire order
  std::optional<std::uint32_t> maximum_packet_size;               // not 0
  std::optional<std::uint8_t> wildcard_subscription_available;    // 0 or 1
  std::optional<std::uint8_t> subscription_identifier_available;  // 0 or 1
  std::optional<std::uint8_t> shared_subscription_available;      // 0 or 1

  // Whether `id` is present (for a repeatable one: at least once).
  bool has(PropertyId id) const;
  bool empty() const;
};

}  // namespace broker::codec::v5
