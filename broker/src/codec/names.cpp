#include "broker/codec/error.hpp"
#include "broker/codec/packet.hpp"

namespace broker::codec {

const char* to_string(PacketType t) {
  switch (t) {
    case PacketType::connect: return "CONNECT";
    case PacketType::connack: return "CONNACK";
    case PacketType::publish: return "PUBLISH";
    case PacketType::puback: return "PUBACK";
    case PacketType::pubrec: return "PUBREC";
    case PacketType::pubrel: return "PUBREL";
    case PacketType::pubcomp: return "PUBCOMP";
    case PacketType::subscribe: return "SUBSCRIBE";
    case PacketType::suback: return "SUBACK";
    case PacketType::unsubscribe: return "UNSUBSCRIBE";
    case PacketType::unsuback: return "UNSUBACK";
    case PacketType::pingreq: return "PINGREQ";
    case PacketType::pingresp: return "PINGRESP";
    case PacketType::disconnect: return "DISCONNECT";
    case PacketType::auth: return "AUTH";
  }
  return "UNKNOWN";
}

const char* to_string(Error e) {
  switch (e) {
    case Error::none: return "no error";
    case Error::bad_packet_type: return "reserved packet type";
    case Error::bad_fixed_header_flags: return "reserved fixed header flags";
    case Error::bad_remaining_length: return "malformed remaining length";
    case Error::packet_too_large: return "packet larger than the configured maximum";
    case Error::truncated: return "field runs past the end of the packet";
    case Error::trailing_bytes: return "bytes after the last field";
    case Error::bad_protocol_name: return "unknown protocol name";
    case Error::bad_protocol_level: return "unsupported protocol level";
    case Error::bad_connect_flags: return "malformed CONNECT flags";
    case Error::bad_utf8: return "invalid UTF-8 string";
    case Error::bad_topic: return "invalid topic name";
    case Error::bad_topic_filter: return "invalid topic filter";
    case Error::bad_qos: return "invalid QoS";
    case Error::zero_packet_id: return "packet identifier 0";
    case Error::empty_subscription: return "no topic filters";
    case Error::bad_suback_code: return "invalid SUBACK return code";
    case Error::bad_variable_byte_integer: return "malformed variable byte integer";
    case Error::bad_property: return "property not defined for this packet";
    case Error::bad_reason_code: return "reason code not allowed in this packet";
    case Error::bad_subscription_options: return "reserved subscription option bits";
    case Error::duplicate_property: return "property included more than once";
    case Error::bad_property_value: return "property value not allowed";
    case Error::bad_subscription_value: return "subscription QoS or retain handling 3";
    case Error::missing_topic: return "empty topic without a topic alias";
    case Error::auth_data_without_method: return "authentication data without a method";
    case Error::too_many_properties: return "more properties than the configured maximum";
  }
  return "unknown error";
}

PacketType type_of(const Packet& p) {
  struct Visitor {
    PacketType operator()(const Connect&) const { return PacketType::connect; }
    PacketType operator()(const Connack&) const { return PacketType::connack; }
    PacketType operator()(const Publish&) const { return PacketType::publish; }
    PacketType operator()(const Ack& a) const { return a.type; }
    PacketType operator()(const Subscribe&) const { return PacketType::subscribe; }
    PacketType operator()(const Suback&) const { return PacketType::suback; }
    PacketType operator()(const Unsubscribe&) const { return PacketType::unsubscribe; }
    PacketType operator()(const Pingreq&) const { return PacketType::pingreq; }
    PacketType operator()(const Pingresp&) const { return PacketType::pingresp; }
    PacketType operator()(const Disconnect&) const { return PacketType::disconnect; }
  };
  return std::visit(Visitor{}, p);
}

}  // namespace broker::codec
