#include "broker/codec/v5/reason_code.hpp"

namespace broker::codec::v5 {
namespace {

constexpr std::uint16_t bit(PacketType t) { return std::uint16_t(1u << static_cast<unsigned>(t)); }

constexpr std::uint16_t connack = bit(PacketType::connack), puback = bit(PacketType::puback),
                        pubrec = bit(PacketType::pubrec), pubrel = bit(PacketType::pubrel),
                        pubcomp = bit(PacketType::pubcomp), suback = bit(PacketType::suback),
                        unsuback = bit(PacketType::unsuback), disconnect = bit(PacketType::disconnect),
                        auth = bit(PacketType::auth);

struct Info {
  const char* name;
  std::uint16_t packets;  // bit per PacketType that may carry the code
};

// Table 2-6 of the specification, one row per code.
Info info(ReasonCode c) {
  using R = ReasonCode;
  switch (c) {
    case R::success:
      return {"Success", connack | puback | pubrec | pubrel | pubcomp | suback | unsuback | disconnect | auth};
    case R::granted_qos_1: return {"Granted QoS 1", suback};
    case R::granted_qos_2: return {"Granted QoS 2", suback};
    case R::disconnect_with_will_message: return {"Disconnect with Will Message", disconnect};
    case R::no_matching_subscribers: return {"No matching subscribers", puback | pubrec};
    case R::no_subscription_existed: return {"No subscription existed", unsuback};
    case R::continue_authentication: return {"Continue authentication", auth};
    case R::re_authenticate: return {"Re-authenticate", auth};
    case R::unspecified_error: return {"Unspecified error", connack | puback | pubrec | suback | unsuback | disconnect};
    case R::malformed_packet: return {"Malformed Packet", connack | disconnect};
    case R::protocol_error: return {"Protocol Error", connack | disconnect};
    case R::implementation_specific_error:
      return {"Implementation specific error", connack | puback | pubrec | suback | unsuback | disconnect};
    case R::unsupported_protocol_version: return {"Unsupported Protocol Version", connack};
    case R::client_identifier_not_valid: return {"Client Identifier not valid", connack};
    case R::bad_user_name_or_password: return {"Bad User Name or Password", connack};
    case R::not_authorized: return {"Not authorized", connack | puback | pubrec | suback | unsuback | disconnect};
    case R::server_unavailable: return {"Server unavailable", connack};
    case R::server_busy: return {"Server busy", connack | disconnect};
    case R::banned: return {"Banned", connack};
    case R::server_shutting_down: return {"Server shutting down", disconnect};
    case R::bad_authentication_method: return {"Bad authentication method", connack | disconnect};
    case R::keep_alive_timeout: return {"Keep Alive timeout", disconnect};
    case R::session_taken_over: return {"Session taken over", disconnect};
    case R::topic_filter_invalid: return {"Topic Filter invalid", suback | unsuback | disconnect};
    case R::topic_name_invalid: return {"Topic Name invalid", connack | puback | pubrec | disconnect};
    case R::packet_identifier_in_use: return {"Packet Identifier in use", puback | pubrec | suback | unsuback};
    case R::packet_identifier_not_found: return {"Packet Identifier not found", pubrel | pubcomp};
    case R::receive_maximum_exceeded: return {"Receive Maximum exceeded", disconnect};
    case R::topic_alias_invalid: return {"Topic Alias invalid", disconnect};
    case R::packet_too_large: return {"Packet too large", connack | disconnect};
    case R::message_rate_too_high: return {"Message rate too high", disconnect};
    case R::quota_exceeded: return {"Quota exceeded", connack | puback | pubrec | suback | disconnect};
    case R::administrative_action: return {"Administrative action", disconnect};
    case R::payload_format_invalid: return {"Payload format invalid", connack | puback | pubrec | disconnect};
    case R::retain_not_supported: return {"Retain not supported", connack | disconnect};
    case R::qos_not_supported: return {"QoS not supported", connack | disconnect};
    case R::use_another_server: return {"Use another server", connack | disconnect};
    case R::server_moved: return {"Server moved", connack | disconnect};
    case R::shared_subscriptions_not_supported: return {"Shared Subscriptions not supported", suback | disconnect};
    case R::connection_rate_exceeded: return {"Connection rate exceeded", connack | disconnect};
    case R::maximum_connect_time: return {"Maximum connect time", disconnect};
    case R::subscription_identifiers_not_supported:
      return {"Subscription Identifiers not supported", suback | disconnect};
    case R::wildcard_subscriptions_not_supported: return {"Wildcard Subscriptions not supported", suback | disconnect};
  }
  return {"unknown reason code", 0};
}

}  // namespace

const char* to_string(ReasonCode c) { return info(c).name; }

bool reason_allowed(ReasonCode c, PacketType type) { return (info(c).packets & bit(type)) != 0; }

ReasonCode reason_for(Error e) {
  switch (e) {
    case Error::none: return ReasonCode::success;
    case Error::packet_too_large: return ReasonCode::packet_too_large;
    case Error::bad_protocol_name:
    case Error::bad_protocol_level: return ReasonCode::unsupported_protocol_version;
    case Error::bad_topic: return ReasonCode::topic_name_invalid;
    case Error::bad_topic_filter: return ReasonCode::topic_filter_invalid;
    case Error::duplicate_property:
    case Error::bad_property_value:
    case Error::bad_subscription_value:
    case Error::missing_topic:
    case Error::auth_data_without_method: return ReasonCode::protocol_error;
    case Error::too_many_properties: return ReasonCode::implementation_specific_error;
    default: return ReasonCode::malformed_packet;
  }
}

}  // namespace broker::codec::v5
