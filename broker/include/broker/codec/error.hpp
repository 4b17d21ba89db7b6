#pragma once
#include <cstdint>

namespace broker::codec {

// Why bytes could not be decoded. Each value maps to one log line and, before CONNACK, to a
// return code (Connection::handle: bad_protocol_level is CONNACK 1, the rest close without one);
// after CONNACK every one of them closes the connection.
enum class Error : std::uint8_t {
  none = 0,
  bad_packet_type,          // type 0 or 15
  bad_fixed_header_flags,   // reserved bits not as the spec fixes them
  bad_remaining_length,     // more than 4 bytes (a padded, non-minimal length is accepted)
  packet_too_large,         // over the configured maximum
  truncated,                // a field runs past the end of the packet
  trailing_bytes,           // the packet has bytes after its last field
  bad_protocol_name,        // not "MQTT" / "MQIsdp"
  bad_protocol_level,       // name and level do not agree, or unknown level
  bad_connect_flags,        // reserved flag set, will flags inconsistent, password without user
  bad_utf8,                 // invalid UTF-8, U+0000, or surrogate code points
  bad_topic,                // empty topic, or wildcard in a topic name
  bad_topic_filter,         // malformed wildcard use in a filter
  bad_qos,                  // QoS 3
  zero_packet_id,           // packet identifier 0 where one is required
  empty_subscription,       // SUBSCRIBE/UNSUBSCRIBE with no topics
  bad_suback_code,
};

const char* to_string(Error e);

}  // namespace broker::codec
