#pragma once
#include <cstdint>

namespace broker::codec {

// Why bytes could not be decoded. Each value maps to one log line and, before CONNACK, to a
// return code (Connection::handle: bad_protocol_level is CONNACK 1, the rest close without one);
// after CONNACK every one of them closes the connection. The MQTT 5.0 decoder (codec/v5) reports
// the same values plus the ones below; v5::reason_for() gives the reason code for each, which
// also says whether MQTT 5.0 calls it a Malformed Packet or a Protocol Error.
enum class Error : std::uint8_t {
  none = 0,
  bad_packet_type,         // type 0 or 15
  bad_fixed_header_flags,  // reserved bits not as the spec fixes them
  bad_remaining_length,    // more than 4 bytes (a padded, non-minimal length is accepted)
  packet_too_large,        // over the configured maximum
  truncated,               // a field runs past the end of the packet
  trailing_bytes,          // the packet has bytes after its last field
  bad_protocol_name,       // not "MQTT" / "MQIsdp"
  bad_protocol_level,      // name and level do not agree, or unknown level
  bad_connect_flags,       // reserved flag set, will flags inconsistent, password without user
  bad_utf8,                // invalid UTF-8, U+0000, or surrogate code points
  bad_topic,               // empty topic, or wildcard in a topic name
  bad_topic_filter,        // malformed wildcard use in a filter
  bad_qos,                 // QoS 3
  zero_packet_id,          // packet identifier 0 where one is required
  empty_subscription,      // SUBSCRIBE/UNSUBSCRIBE with no topics
  bad_suback_code,
  // MQTT 5.0 only. Malformed Packet:
  bad_variable_byte_integer,  // a fifth byte, or more bytes than the value needs
  bad_property,               // an identifier the spec does not define, or not for this packet
  bad_reason_code,            // a reason code the packet may not carry
  bad_subscription_options,   // reserved bits 6-7 of the options byte set
  // MQTT 5.0 only. Protocol Error:
  duplicate_property,        // a property that may appear once appears twice
  bad_property_value,        // a value the spec rules out (Receive Maximum 0, a flag of 2, ...)
  bad_subscription_value,    // subscription QoS 3 or Retain Handling 3
  missing_topic,             // a PUBLISH with an empty topic and no Topic Alias
  auth_data_without_method,  // Authentication Data without an Authentication Method
  // MQTT 5.0 only. Over a limit of v5::Options (the packet is valid but not processed):
  too_many_properties,
};

const char* to_string(Error e);

}  // namespace broker::codec
