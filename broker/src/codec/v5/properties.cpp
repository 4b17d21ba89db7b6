// The MQTT 5.0 property block (section 2.2.2): the table of identifiers, types and placements,
// and the reader and writer every v5 packet uses.
#include "broker/codec/v5/properties.hpp"

#include <stdexcept>

#include "broker/topic.hpp"
#include "detail.hpp"

namespace broker::codec::v5 {
namespace {

constexpr std::uint16_t bit(PropertyContext c) { return std::uint16_t(1u << static_cast<unsigned>(c)); }

using C = PropertyContext;
constexpr std::uint16_t message = bit(C::publish) | bit(C::will);
constexpr std::uint16_t everywhere = bit(C::connect) | bit(C::connack) | bit(C::publish) | bit(C::will) |
                                     bit(C::puback) | bit(C::pubrec) | bit(C::pubrel) | bit(C::pubcomp) |
                                     bit(C::subscribe) | bit(C::suback) | bit(C::unsubscribe) | bit(C::unsuback) |
                                     bit(C::disconnect) | bit(C::auth);
constexpr std::uint16_t reason_string_packets =
    everywhere & ~(bit(C::connect) | bit(C::publish) | bit(C::will) | bit(C::subscribe) | bit(C::unsubscribe));

struct Info {
  const char* name;
  PropertyType type;
  std::uint16_t contexts;  // bit per PropertyContext (table 2-4)
};

Info info(PropertyId id) {
  using I = PropertyId;
  using T = PropertyType;
  switch (id) {
    case I::payload_format_indicator: return {"Payload Format Indicator", T::byte, message};
    case I::message_expiry_interval: return {"Message Expiry Interval", T::four_byte_integer, message};
    case I::content_type: return {"Content Type", T::utf8_string, message};
    case I::response_topic: return {"Response Topic", T::utf8_string, message};
    case I::correlation_data: return {"Correlation Data", T::binary_data, message};
    case I::subscription_identifier:
      return {"Subscription Identifier", T::variable_byte_integer, bit(C::publish) | bit(C::subscribe)};
    case I::session_expiry_interval:
      return {"Session Expiry Interval", T::four_byte_integer, bit(C::connect) | bit(C::connack) | bit(C::disconnect)};
    case I::assigned_client_identifier: return {"Assigned Client Identifier", T::utf8_string, bit(C::connack)};
    case I::server_keep_alive: return {"Server Keep Alive", T::two_byte_integer, bit(C::connack)};
    case I::authentication_method:
      return {"Authentication Method", T::utf8_string, bit(C::connect) | bit(C::connack) | bit(C::auth)};
    case I::authentication_data:
      return {"Authentication Data", T::binary_data, bit(C::connect) | bit(C::connack) | bit(C::auth)};
    case I::request_problem_information: return {"Request Problem Information", T::byte, bit(C::connect)};
    case I::will_delay_interval: return {"Will Delay Interval", T::four_byte_integer, bit(C::will)};
    case I::request_response_information: return {"Request Response Information", T::byte, bit(C::connect)};
    case I::response_information: return {"Response Information", T::utf8_string, bit(C::connack)};
    case I::server_reference: return {"Server Reference", T::utf8_string, bit(C::connack) | bit(C::disconnect)};
    case I::reason_string: return {"Reason String", T::utf8_string, reason_string_packets};
    case I::receive_maximum: return {"Receive Maximum", T::two_byte_integer, bit(C::connect) | bit(C::connack)};
    case I::topic_alias_maximum: return {"Topic Alias Maximum", T::two_byte_integer, bit(C::connect) | bit(C::connack)};
    case I::topic_alias: return {"Topic Alias", T::two_byte_integer, bit(C::publish)};
    case I::maximum_qos: return {"Maximum QoS", T::byte, bit(C::connack)};
    case I::retain_available: return {"Retain Available", T::byte, bit(C::connack)};
    case I::user_property: return {"User Property", T::utf8_string_pair, everywhere};
    case I::maximum_packet_size:
      return {"Maximum Packet Size", T::four_byte_integer, bit(C::connect) | bit(C::connack)};
    case I::wildcard_subscription_available: return {"Wildcard Subscription Available", T::byte, bit(C::connack)};
    case I::subscription_identifier_available: return {"Subscription Identifier Available", T::byte, bit(C::connack)};
    case I::shared_subscription_available: return {"Shared Subscription Available", T::byte, bit(C::connack)};
  }
  return {"unknown property", T::byte, 0};
}

// The value of one property as read, before it is stored: a number or one or two strings.
struct Value {
  std::uint32_t number = 0;
  std::string_view first, second;
};

bool is_flag(std::uint32_t v) { return v <= 1; }

// Stores `v` as property `id` of `out`, with the value rules of section 3 for each property.
Error store(PropertyId id, const Value& v, const Options& o, Properties& out) {
  using I = PropertyId;
  auto flag = [&](std::optional<std::uint8_t>& field) {
    if (!is_flag(v.number)) return Error::bad_property_value;
    field = static_cast<std::uint8_t>(v.number);
    return Error::none;
  };
  auto nonzero16 = [&](std::optional<std::uint16_t>& field) {
    if (v.number == 0) return Error::bad_property_value;
    field = static_cast<std::uint16_t>(v.number);
    return Error::none;
  };
  switch (id) {
    case I::payload_format_indicator: return flag(out.payload_format_indicator);
    case I::message_expiry_interval: out.message_expiry_interval = v.number; break;
    case I::content_type: out.content_type = std::string(v.first); break;
    case I::response_topic:
      // It becomes the topic name of the response, so it is held to the same rules.
      if (!valid_topic_name(v.first)) return Error::bad_topic;
      out.response_topic = std::string(v.first);
      break;
    case I::correlation_data: out.correlation_data = std::string(v.first); break;
    case I::subscription_identifier:
      if (v.number == 0) return Error::bad_property_value;
      if (out.subscription_identifiers.size() >= o.max_subscription_identifiers) return Error::too_many_properties;
      out.subscription_identifiers.push_back(v.number);
      break;
    case I::session_expiry_interval: out.session_expiry_interval = v.number; break;
    case I::assigned_client_identifier: out.assigned_client_identifier = std::string(v.first); break;
    case I::server_keep_alive: out.server_keep_alive = static_cast<std::uint16_t>(v.number); break;
    case I::authentication_method: out.authentication_method = std::string(v.first); break;
    case I::authentication_data: out.authentication_data = std::string(v.first); break;
    case I::request_problem_information: return flag(out.request_problem_information);
    case I::will_delay_interval: out.will_delay_interval = v.number; break;
    case I::request_response_information: return flag(out.request_response_information);
    case I::response_information: out.response_information = std::string(v.first); break;
    case I::server_reference: out.server_reference = std::string(v.first); break;
    case I::reason_string: out.reason_string = std::string(v.first); break;
    case I::receive_maximum: return nonzero16(out.receive_maximum);
    case I::topic_alias_maximum: out.topic_alias_maximum = static_cast<std::uint16_t>(v.number); break;
    case I::topic_alias: return nonzero16(out.topic_alias);
    case I::maximum_qos: return flag(out.maximum_qos);
    case I::retain_available: return flag(out.retain_available);
    case I::user_property:
      if (out.user_properties.size() >= o.max_user_properties) return Error::too_many_properties;
      out.user_properties.push_back({std::string(v.first), std::string(v.second)});
      break;
    case I::maximum_packet_size:
      if (v.number == 0) return Error::bad_property_value;
      out.maximum_packet_size = v.number;
      break;
    case I::wildcard_subscription_available: return flag(out.wildcard_subscription_available);
    case I::subscription_identifier_available: return flag(out.subscription_identifier_available);
    case I::shared_subscription_available: return flag(out.shared_subscription_available);
  }
  return Error::none;
}

}  // namespace

const PropertyId all_properties[27] = {
    PropertyId::payload_format_indicator,
    PropertyId::message_expiry_interval,
    PropertyId::content_type,
    PropertyId::response_topic,
    PropertyId::correlation_data,
    PropertyId::subscription_identifier,
    PropertyId::session_expiry_interval,
    PropertyId::assigned_client_identifier,
    PropertyId::server_keep_alive,
    PropertyId::authentication_method,
    PropertyId::authentication_data,
    PropertyId::request_problem_information,
    PropertyId::will_delay_interval,
    PropertyId::request_response_information,
    PropertyId::response_information,
    PropertyId::server_reference,
    PropertyId::reason_string,
    PropertyId::receive_maximum,
    PropertyId::topic_alias_maximum,
    PropertyId::topic_alias,
    PropertyId::maximum_qos,
    PropertyId::retain_available,
    PropertyId::user_property,
    PropertyId::maximum_packet_size,
    PropertyId::wildcard_subscription_available,
    PropertyId::subscription_identifier_available,
    PropertyId::shared_subscription_available,
};

const char* to_string(PropertyId id) { return info(id).name; }
PropertyType type_of(PropertyId id) { return info(id).type; }

bool allowed_in(PropertyId id, PropertyContext context) { return (info(id).contexts & bit(context)) != 0; }

bool repeatable_in(PropertyId id, PropertyContext context) {
  if (id == PropertyId::user_property) return allowed_in(id, context);
  return id == PropertyId::subscription_identifier && context == PropertyContext::publish;
}

bool Properties::has(PropertyId id) const {
  using I = PropertyId;
  switch (id) {
    case I::payload_format_indicator: return payload_format_indicator.has_value();
    case I::message_expiry_interval: return message_expiry_interval.has_value();
    case I::content_type: return content_type.has_value();
    case I::response_topic: return response_topic.has_value();
    case I::correlation_data: return correlation_data.has_value();
    case I::subscription_identifier: return !subscription_identifiers.empty();
    case I::session_expiry_interval: return session_expiry_interval.has_value();
    case I::assigned_client_identifier: return assigned_client_identifier.has_value();
    case I::server_keep_alive: return server_keep_alive.has_value();
    case I::authentication_method: return authentication_method.has_value();
    case I::authentication_data: return authentication_data.has_value();
    case I::request_problem_information: return request_problem_information.has_value();
    case I::will_delay_interval: return will_delay_interval.has_value();
    case I::request_response_information: return request_response_information.has_value();
    case I::response_information: return response_information.has_value();
    case I::server_reference: return server_reference.has_value();
    case I::reason_string: return reason_string.has_value();
    case I::receive_maximum: return receive_maximum.has_value();
    case I::topic_alias_maximum: return topic_alias_maximum.has_value();
    case I::topic_alias: return topic_alias.has_value();
    case I::maximum_qos: return maximum_qos.has_value();
    case I::retain_available: return retain_available.has_value();
    case I::user_property: return !user_properties.empty();
    case I::maximum_packet_size: return maximum_packet_size.has_value();
    case I::wildcard_subscription_available: return wildcard_subscription_available.has_value();
    case I::subscription_identifier_available: return subscription_identifier_available.has_value();
    case I::shared_subscription_available: return shared_subscription_available.has_value();
  }
  return false;
}

bool Properties::empty() const {
  for (auto id : all_properties)
    if (has(id)) return false;
  return true;
}

namespace detail {

Error read_properties(Reader& r, PropertyContext context, const Options& options, Properties& out) {
  auto length = r.variable_byte_integer();
  if (r.failed()) return r.error();
  if (length > r.left()) return Error::truncated;  // checked before anything is read from it
  Reader block(r.bytes(length));
  std::uint64_t seen = 0;  // bit per identifier; every defined one is below 64
  while (!block.at_end()) {
    auto raw = block.variable_byte_integer();
    if (block.failed()) return block.error();
    auto id = static_cast<PropertyId>(raw);
    // An identifier not defined, or not for this packet, is a Malformed Packet (2.2.2.2).
    if (raw >= 64 || !allowed_in(id, context)) return Error::bad_property;
    auto mask = std::uint64_t{1} << raw;
    if ((seen & mask) && !repeatable_in(id, context)) return Error::duplicate_property;
    seen |= mask;
    Value v;
    switch (type_of(id)) {
      case PropertyType::byte: v.number = block.u8(); break;
      case PropertyType::two_byte_integer: v.number = block.u16(); break;
      case PropertyType::four_byte_integer: v.number = block.u32(); break;
      case PropertyType::variable_byte_integer: v.number = block.variable_byte_integer(); break;
      case PropertyType::utf8_string: v.first = block.utf8(); break;
      case PropertyType::binary_data: v.first = block.binary(); break;
      case PropertyType::utf8_string_pair:
        v.first = block.utf8();
        v.second = block.utf8();
        break;
    }
    if (block.failed()) return block.error();
    if (auto e = store(id, v, options, out); e != Error::none) return e;
  }
  // Authentication Data only means something with its method (3.1.2.11.10, 3.2.2.3.18, 3.15.2.2.5).
  if (out.authentication_data && !out.authentication_method) return Error::auth_data_without_method;
  return Error::none;
}

void write_properties(Writer& w, const Properties& p, PropertyContext context) {
  std::string block;
  Writer b(block);
  auto id = [&](PropertyId i) {
    if (!allowed_in(i, context))
      throw std::invalid_argument(std::string("MQTT 5.0 property not allowed here: ") + to_string(i));
    b.u8(static_cast<std::uint8_t>(i));
  };
  auto byte = [&](PropertyId i, const std::optional<std::uint8_t>& v) {
    if (v) id(i), b.u8(*v);
  };
  auto two = [&](PropertyId i, const std::optional<std::uint16_t>& v) {
    if (v) id(i), b.u16(*v);
  };
  auto four = [&](PropertyId i, const std::optional<std::uint32_t>& v) {
    if (v) id(i), b.u32(*v);
  };
  auto text = [&](PropertyId i, const std::optional<std::string>& v) {
    if (v) id(i), b.field(*v);
  };
  using I = PropertyId;
  byte(I::payload_format_indicator, p.payload_format_indicator);
  four(I::message_expiry_interval, p.message_expiry_interval);
  text(I::content_type, p.content_type);
  text(I::response_topic, p.response_topic);
  text(I::correlation_data, p.correlation_data);
  if (p.subscription_identifiers.size() > 1 && !repeatable_in(I::subscription_identifier, context))
    throw std::invalid_argument("MQTT 5.0 Subscription Identifier repeated outside PUBLISH");
  for (auto s : p.subscription_identifiers) {
    if (s == 0) throw std::invalid_argument("MQTT 5.0 Subscription Identifier 0");
    id(I::subscription_identifier), b.variable_byte_integer(s);
  }
  four(I::session_expiry_interval, p.session_expiry_interval);
  text(I::assigned_client_identifier, p.assigned_client_identifier);
  two(I::server_keep_alive, p.server_keep_alive);
  text(I::authentication_method, p.authentication_method);
  text(I::authentication_data, p.authentication_data);
  byte(I::request_problem_information, p.request_problem_information);
  four(I::will_delay_interval, p.will_delay_interval);
  byte(I::request_response_information, p.request_response_information);
  text(I::response_information, p.response_information);
  text(I::server_reference, p.server_reference);
  text(I::reason_string, p.reason_string);
  two(I::receive_maximum, p.receive_maximum);
  two(I::topic_alias_maximum, p.topic_alias_maximum);
  two(I::topic_alias, p.topic_alias);
  byte(I::maximum_qos, p.maximum_qos);
  byte(I::retain_available, p.retain_available);
  for (auto& u : p.user_properties) {
    id(I::user_property);
    b.field(u.name);
    b.field(u.value);
  }
  four(I::maximum_packet_size, p.maximum_packet_size);
  byte(I::wildcard_subscription_available, p.wildcard_subscription_available);
  byte(I::subscription_identifier_available, p.subscription_identifier_available);
  byte(I::shared_subscription_available, p.shared_subscription_available);
  w.variable_byte_integer(block.size());
  w.raw(block);
}

DecodeResult finish(Reader& r, Packet p) {
  if (r.failed()) return failure(r.error());
  if (!r.at_end()) return failure(Error::trailing_bytes);
  return DecodeResult{std::move(p), Error::none};
}

void write_packet(Writer& w, std::uint8_t first, const std::string& body) {
  w.header(first, body.size());
  w.raw(body);
}

}  // namespace detail
}  // namespace broker::codec::v5
