// MQTT 5.0 properties (section 2.2.2): each data type in a byte table, then every property
// against every packet (table 2-4), every duplicate rule, the value rules, the limits, and
// malformed lengths and Variable Byte Integers.
#include "codec_v5_test.hpp"

using namespace codec_v5_test;
using v5::PropertyContext;
using v5::PropertyId;
using v5::PropertyType;
using Error = broker::codec::Error;

namespace {

const PropertyContext all_contexts[] = {
    PropertyContext::will,       PropertyContext::connect, PropertyContext::connack,     PropertyContext::publish,
    PropertyContext::puback,     PropertyContext::pubrec,  PropertyContext::pubrel,      PropertyContext::pubcomp,
    PropertyContext::subscribe,  PropertyContext::suback,  PropertyContext::unsubscribe, PropertyContext::unsuback,
    PropertyContext::disconnect, PropertyContext::auth,
};

std::string vbi(std::size_t n) {
  std::uint8_t b[4];
  auto k = codec::encode_remaining_length(n, b);
  return std::string(reinterpret_cast<const char*>(b), k);
}

std::string field(std::string_view s) {
  return bytes({static_cast<int>(s.size() >> 8), static_cast<int>(s.size() & 0xFF)}) + std::string(s);
}

// A packet of `context` around the property block `block` (without its length), smallest form.
std::string packet_with(PropertyContext context, std::string_view block) {
  auto props = vbi(block.size()) + std::string(block);
  switch (context) {
    case PropertyContext::will:
      return with_body(
          0x10, field("MQTT") + bytes({5, 0x06, 0, 0}) + bytes({0}) + field("c") + props + field("t") + field(""));
    case PropertyContext::connect: return with_body(0x10, field("MQTT") + bytes({5, 0x02, 0, 0}) + props + field("c"));
    case PropertyContext::connack: return with_body(0x20, bytes({0, 0}) + props);
    case PropertyContext::publish: return with_body(0x30, field("t") + props + "p");
    case PropertyContext::puback: return with_body(0x40, bytes({0, 1, 0}) + props);
    case PropertyContext::pubrec: return with_body(0x50, bytes({0, 1, 0}) + props);
    case PropertyContext::pubrel: return with_body(0x62, bytes({0, 1, 0}) + props);
    case PropertyContext::pubcomp: return with_body(0x70, bytes({0, 1, 0}) + props);
    case PropertyContext::subscribe: return with_body(0x82, bytes({0, 1}) + props + field("t") + bytes({0}));
    case PropertyContext::suback: return with_body(0x90, bytes({0, 1}) + props + bytes({0}));
    case PropertyContext::unsubscribe: return with_body(0xA2, bytes({0, 1}) + props + field("t"));
    case PropertyContext::unsuback: return with_body(0xB0, bytes({0, 1}) + props + bytes({0}));
    case PropertyContext::disconnect: return with_body(0xE0, bytes({0}) + props);
    case PropertyContext::auth: return with_body(0xF0, bytes({0}) + props);
  }
  return {};
}

// One property with a value valid for it.
std::string sample(PropertyId id) {
  std::string out(1, static_cast<char>(id));
  switch (v5::type_of(id)) {
    case PropertyType::byte: return out + bytes({1});
    case PropertyType::two_byte_integer: return out + bytes({0x01, 0x02});
    case PropertyType::four_byte_integer: return out + bytes({0x01, 0x02, 0x03, 0x04});
    case PropertyType::variable_byte_integer: return out + bytes({0x81, 0x01});  // 129
    case PropertyType::utf8_string: return out + field("ab");
    case PropertyType::binary_data: return out + field(std::string("\x00\xFF", 2));
    case PropertyType::utf8_string_pair: return out + field("k") + field("v");
  }
  return out;
}

// Authentication Data needs its method beside it.
std::string sample_block(PropertyId id) {
  if (id == PropertyId::authentication_data) return sample(PropertyId::authentication_method) + sample(id);
  return sample(id);
}

v5::Properties properties_of(const v5::Packet& p) {
  struct Visitor {
    v5::Properties operator()(const v5::Connect& c) const { return c.will ? c.will->properties : c.properties; }
    v5::Properties operator()(const v5::Connack& c) const { return c.properties; }
    v5::Properties operator()(const v5::Publish& c) const { return c.properties; }
    v5::Properties operator()(const v5::PubAck& c) const { return c.properties; }
    v5::Properties operator()(const v5::Subscribe& c) const { return c.properties; }
    v5::Properties operator()(const v5::Suback& c) const { return c.properties; }
    v5::Properties operator()(const v5::Unsubscribe& c) const { return c.properties; }
    v5::Properties operator()(const v5::Unsuback& c) const { return c.properties; }
    v5::Properties operator()(const codec::Pingreq&) const { return {}; }
    v5::Properties operator()(const codec::Pingresp&) const { return {}; }
    v5::Properties operator()(const v5::Disconnect& c) const { return c.properties; }
    v5::Properties operator()(const v5::Auth& c) const { return c.properties; }
  };
  return std::visit(Visitor{}, p);
}

}  // namespace

TEST_CASE("each property type as a byte table (CONNACK and PUBLISH)") {
  // CONNACK carries a byte, two- and four-byte integers, UTF-8 strings, binary data and a pair.
  const auto connack = bytes({
      0x20,                                     // CONNACK
      0x21,                                     // remaining length 33
      0x00,                                     // no session present
      0x00,                                     // Success
      0x1E,                                     // property length 30
      0x11, 0x00, 0x00, 0x0E, 0x10,             // Session Expiry Interval (four-byte) 3600
      0x12, 0x00, 0x02, 'i',  'd',              // Assigned Client Identifier (UTF-8) "id"
      0x13, 0x00, 0x3C,                         // Server Keep Alive (two-byte) 60
      0x16, 0x00, 0x01, 0x00,                   // Authentication Data (binary) 00 ...
      0x15, 0x00, 0x01, 'x',                    // ... after its Authentication Method "x" on decode
      0x24, 0x01,                               // Maximum QoS (byte) 1
      0x26, 0x00, 0x01, 'k',  0x00, 0x01, 'v',  // User Property (UTF-8 pair) k=v
  });
  v5::Connack c;
  c.properties.session_expiry_interval = 3600;
  c.properties.assigned_client_identifier = "id";
  c.properties.server_keep_alive = 60;
  c.properties.authentication_method = "x";
  c.properties.authentication_data = std::string(1, '\0');
  c.properties.maximum_qos = 1;
  c.properties.user_properties = {{"k", "v"}};
  CHECK(decode_as<v5::Connack>(connack) == c);
  // Encoding puts them in identifier order: 0x15 before 0x16.
  const auto ordered = bytes({
      0x20, 0x21, 0x00, 0x00, 0x1E, 0x11, 0x00, 0x00, 0x0E, 0x10, 0x12, 0x00, 0x02, 'i', 'd',  0x13, 0x00, 0x3C,
      0x15, 0x00, 0x01, 'x',  0x16, 0x00, 0x01, 0x00, 0x24, 0x01, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',
  });
  check_table(ordered, c);

  // PUBLISH carries the Variable Byte Integer one: Subscription Identifier.
  const auto publish = bytes({
      0x30,              // PUBLISH QoS 0
      0x0A,              // remaining length 10
      0x00, 0x01, 't',   // topic "t"
      0x05,              // property length 5
      0x0B, 0x81, 0x01,  // Subscription Identifier 129 (two bytes)
      0x0B, 0x02,        // Subscription Identifier 2 (repeats in PUBLISH)
      'p',               // payload
  });
  v5::Publish p;
  p.topic = "t";
  p.properties.subscription_identifiers = {129, 2};
  p.payload = "p";
  check_table(publish, p);
}

TEST_CASE("every property is accepted exactly where table 2-4 allows it") {
  for (auto id : v5::all_properties) {
    for (auto context : all_contexts) {
      CAPTURE(v5::to_string(id));
      CAPTURE(static_cast<int>(context));
      auto wire = packet_with(context, sample_block(id));
      auto r = v5::decode(wire);
      if (v5::allowed_in(id, context)) {
        REQUIRE_MESSAGE(r.ok(), error_name(r.error) << " for " << hex(wire));
        auto props = properties_of(r.packet);
        CHECK(props.has(id));
        // And back: the decoded packet encodes to bytes that decode to the same properties.
        auto again = v5::decode(v5::encode(r.packet));
        REQUIRE(again.ok());
        CHECK(properties_of(again.packet) == props);
      } else {
        CHECK(error_name(r.error) == error_name(Error::bad_property));
      }
    }
  }
}

TEST_CASE(
    "a property twice is a Protocol Error except User Property and PUBLISH's Subscription "
    "Identifier") {
  int repeatable = 0;
  for (auto id : v5::all_properties) {
    for (auto context : all_contexts) {
      if (!v5::allowed_in(id, context)) continue;
      CAPTURE(v5::to_string(id));
      CAPTURE(static_cast<int>(context));
      auto block = sample_block(id) + sample(id);
      auto r = v5::decode(packet_with(context, block));
      if (v5::repeatable_in(id, context)) {
        ++repeatable;
        REQUIRE_MESSAGE(r.ok(), error_name(r.error));
        auto props = properties_of(r.packet);
        if (id == PropertyId::user_property)
          CHECK(props.user_properties == std::vector<v5::UserProperty>{{"k", "v"}, {"k", "v"}});
        else CHECK(props.subscription_identifiers == std::vector<std::uint32_t>{129, 129});
      } else {
        CHECK(error_name(r.error) == error_name(Error::duplicate_property));
        CHECK(v5::reason_for(r.error) == v5::ReasonCode::protocol_error);
      }
    }
  }
  CHECK(repeatable == 15);  // User Property in 14 places, Subscription Identifier in PUBLISH
  CHECK(decode_error(packet_with(PropertyContext::subscribe, sample(PropertyId::subscription_identifier) +
                                                                 sample(PropertyId::subscription_identifier))) ==
        error_name(Error::duplicate_property));
}

TEST_CASE("User Properties keep their order, duplicates included") {
  const auto wire = bytes({
      0xE0, 0x18,                                     // DISCONNECT, remaining length 24
      0x00,                                           // Normal disconnection
      0x16,                                           // property length 22
      0x26, 0x00, 0x01, 'b', 0x00, 0x01, '2',         // b=2
      0x26, 0x00, 0x01, 'a', 0x00, 0x01, '1',         // a=1
      0x26, 0x00, 0x01, 'b', 0x00, 0x02, 0xC3, 0xA9,  // b=é (UTF-8 in both halves)
  });
  v5::Disconnect d;
  d.properties.user_properties = {{"b", "2"}, {"a", "1"}, {"b", "\xC3\xA9"}};
  check_table(wire, d);
}

TEST_CASE("values the specification rules out are Protocol Errors") {
  using I = PropertyId;
  struct Case {
    PropertyContext context;
    std::string block;
  };
  const Case cases[] = {
      {PropertyContext::publish, bytes({0x01, 0x02})},        // Payload Format 2
      {PropertyContext::connect, bytes({0x17, 0x02})},        // Request Problem Info 2
      {PropertyContext::connect, bytes({0x19, 0x02})},        // Request Response Info 2
      {PropertyContext::connack, bytes({0x24, 0x02})},        // Maximum QoS 2
      {PropertyContext::connack, bytes({0x25, 0x02})},        // Retain Available 2
      {PropertyContext::connack, bytes({0x28, 0xFF})},        // Wildcard Sub Available
      {PropertyContext::connack, bytes({0x29, 0x02})},        // Sub Id Available
      {PropertyContext::connack, bytes({0x2A, 0x02})},        // Shared Sub Available
      {PropertyContext::connect, bytes({0x21, 0x00, 0x00})},  // Receive Maximum 0
      {PropertyContext::connack, bytes({0x21, 0x00, 0x00})},
      {PropertyContext::connect, bytes({0x27, 0x00, 0x00, 0x00, 0x00})},  // Max Packet Size 0
      {PropertyContext::publish, bytes({0x23, 0x00, 0x00})},              // Topic Alias 0
      {PropertyContext::publish, bytes({0x0B, 0x00})},                    // Subscription Identifier 0
      {PropertyContext::subscribe, bytes({0x0B, 0x00})},
  };
  for (auto& c : cases) {
    CAPTURE(hex(c.block));
    auto e = v5::decode(packet_with(c.context, c.block)).error;
    CHECK(error_name(e) == error_name(Error::bad_property_value));
    CHECK(v5::is_protocol_error(e));
  }
  // Authentication Data without a method, in each packet that may carry them.
  for (auto context : {PropertyContext::connect, PropertyContext::connack, PropertyContext::auth}) {
    auto e = v5::decode(packet_with(context, sample(I::authentication_data))).error;
    CHECK(error_name(e) == error_name(Error::auth_data_without_method));
    CHECK(v5::is_protocol_error(e));
  }
  // A Response Topic is a topic name: no wildcards.
  CHECK(decode_error(packet_with(PropertyContext::publish, bytes({0x08, 0x00, 0x01, '#'}))) ==
        error_name(Error::bad_topic));
  // The boundary values that are allowed.
  CHECK(v5::decode(packet_with(PropertyContext::publish, bytes({0x01, 0x00}))).ok());
  CHECK(v5::decode(packet_with(PropertyContext::connack, bytes({0x24, 0x00}))).ok());
  CHECK(v5::decode(packet_with(PropertyContext::connect, bytes({0x22, 0x00, 0x00}))).ok());
  CHECK(v5::decode(packet_with(PropertyContext::publish, bytes({0x0B, 0xFF, 0xFF, 0xFF, 0x7F})))
            .ok());  // 268,435,455, the largest
}

TEST_CASE("unknown property identifiers are malformed") {
  for (int id : {0x00, 0x04, 0x0A, 0x14, 0x1B, 0x1D, 0x20, 0x2B, 0x7F}) {
    CAPTURE(id);
    auto e = v5::decode(packet_with(PropertyContext::publish, bytes({id, 0x00}))).error;
    CHECK(error_name(e) == error_name(Error::bad_property));
    CHECK(v5::reason_for(e) == v5::ReasonCode::malformed_packet);
  }
  // Identifiers are Variable Byte Integers: a two-byte one names no property either.
  CHECK(decode_error(packet_with(PropertyContext::publish, bytes({0x81, 0x01, 0x00}))) ==
        error_name(Error::bad_property));
  // A one-byte identifier padded to two bytes is an overlong integer.
  CHECK(decode_error(packet_with(PropertyContext::publish, bytes({0x81, 0x00, 0x00}))) ==
        error_name(Error::bad_variable_byte_integer));
}

TEST_CASE("Variable Byte Integers: overlong and five-byte forms are malformed") {
  const auto bad = error_name(Error::bad_variable_byte_integer);
  // Subscription Identifier 1 padded to two, three and four bytes.
  for (auto padded : {bytes({0x81, 0x00}), bytes({0x81, 0x80, 0x00}), bytes({0x81, 0x80, 0x80, 0x00})}) {
    CAPTURE(hex(padded));
    CHECK(decode_error(packet_with(PropertyContext::publish, bytes({0x0B}) + padded)) == bad);
  }
  // A fifth byte.
  CHECK(decode_error(packet_with(PropertyContext::publish, bytes({0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}))) == bad);
  // The property length padded: 0 as 80 00.
  CHECK(decode_error(with_body(0x30, bytes({0x00, 0x01, 't', 0x80, 0x00}))) == bad);
  // The property length with a fifth byte.
  CHECK(decode_error(with_body(0x30, bytes({0x00, 0x01, 't', 0xFF, 0xFF, 0xFF, 0xFF, 0x01}))) == bad);
  // The remaining length padded (3.1.1 accepts this form; 5.0 does not).
  CHECK(decode_error(bytes({0xC0, 0x80, 0x00})) == bad);
  CHECK(codec::decode(bytes({0xC0, 0x80, 0x00})).ok());
  // A remaining length of five bytes is refused by the framer.
  CHECK(decode_error(bytes({0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F})) == error_name(Error::bad_remaining_length));
  // A Variable Byte Integer cut off by the end of the block.
  CHECK(decode_error(packet_with(PropertyContext::publish, bytes({0x0B, 0x81}))) == error_name(Error::truncated));
}

TEST_CASE("lengths that run past their block are truncated, checked before reading") {
  const auto truncated = error_name(Error::truncated);
  // Property length 127 with 1 byte left in the packet.
  CHECK(decode_error(with_body(0x30, bytes({0x00, 0x01, 't', 0x7F, 0x01}))) == truncated);
  // Property length 268,435,455 in a 9-byte packet: nothing is allocated from it.
  CHECK(decode_error(with_body(0x30, bytes({0x00, 0x01, 't', 0xFF, 0xFF, 0xFF, 0x7F}))) == truncated);
  // A string whose length runs past the property block, though not past the packet.
  CHECK(decode_error(with_body(0x30, bytes({0x00, 0x01, 't', 0x03, 0x03, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e'}))) ==
        truncated);
  // Each fixed-size type cut short.
  for (auto block : {bytes({0x01}), bytes({0x23, 0x00}), bytes({0x02, 0x00, 0x00, 0x00}),
                     bytes({0x26, 0x00, 0x01, 'k'}), bytes({0x26, 0x00, 0x01, 'k', 0x00})}) {
    CAPTURE(hex(block));
    CHECK(decode_error(packet_with(PropertyContext::publish, block)) == truncated);
  }
  // A packet that ends where its property length should be (PUBLISH has no short form).
  CHECK(decode_error(with_body(0x30, bytes({0x00, 0x01, 't'}))) == truncated);
}

TEST_CASE("UTF-8 in properties is validated like every MQTT string") {
  // U+0000, a surrogate, an overlong '/'.
  for (auto bad : {bytes({0x00}), bytes({0xED, 0xA0, 0x80}), bytes({0xC0, 0xAF})}) {
    CAPTURE(hex(bad));
    auto len = static_cast<int>(bad.size());
    CHECK(decode_error(packet_with(PropertyContext::publish, bytes({0x03, 0x00, len}) + bad)) ==
          error_name(Error::bad_utf8));
    CHECK(decode_error(packet_with(PropertyContext::publish, bytes({0x26, 0x00, 0x01, 'k', 0x00, len}) + bad)) ==
          error_name(Error::bad_utf8));
    CHECK(decode_error(packet_with(PropertyContext::publish, bytes({0x26, 0x00, len}) + bad + bytes({0x00, 0x00}))) ==
          error_name(Error::bad_utf8));
  }
  // Binary data may hold anything.
  CHECK(v5::decode(packet_with(PropertyContext::publish, bytes({0x09, 0x00, 0x01, 0x00}))).ok());
}

TEST_CASE("User Properties and Subscription Identifiers are bounded by the options") {
  v5::Options o;
  o.max_user_properties = 3;
  o.max_subscription_identifiers = 2;
  std::string three, four;
  for (int i = 0; i < 3; ++i) three += sample(PropertyId::user_property);
  four = three + sample(PropertyId::user_property);
  CHECK(v5::decode(packet_with(PropertyContext::publish, three), o).ok());
  auto e = v5::decode(packet_with(PropertyContext::publish, four), o).error;
  CHECK(error_name(e) == error_name(Error::too_many_properties));
  CHECK(v5::reason_for(e) == v5::ReasonCode::implementation_specific_error);
  auto ids = sample(PropertyId::subscription_identifier);
  CHECK(v5::decode(packet_with(PropertyContext::publish, ids + ids), o).ok());
  CHECK(decode_error(packet_with(PropertyContext::publish, ids + ids + ids), o) ==
        error_name(Error::too_many_properties));
  // The default: 32 user properties pass, 33 do not, in a will as anywhere.
  std::string many;
  for (int i = 0; i < 32; ++i) many += sample(PropertyId::user_property);
  CHECK(v5::decode(packet_with(PropertyContext::will, many)).ok());
  CHECK(decode_error(packet_with(PropertyContext::will, many + sample(PropertyId::user_property))) ==
        error_name(Error::too_many_properties));
}

TEST_CASE("the encoder refuses a property the packet may not carry") {
  v5::Publish p;
  p.topic = "t";
  p.properties.session_expiry_interval = 1;
  CHECK_THROWS_AS(v5::encode(p), std::invalid_argument);
  v5::Subscribe s;
  s.packet_id = 1;
  s.topics = {{"t"}};
  s.properties.subscription_identifiers = {1, 2};
  CHECK_THROWS_AS(v5::encode(s), std::invalid_argument);
  // Values the wire cannot carry.
  p.properties = {};
  p.properties.subscription_identifiers = {0};
  CHECK_THROWS_AS(v5::encode(p), std::invalid_argument);
  p.properties.subscription_identifiers = {268'435'456};
  CHECK_THROWS_AS(v5::encode(p), std::length_error);
  p.properties.subscription_identifiers = {268'435'455};
  CHECK(v5::decode(v5::encode(p)).ok());
  p.properties = {};
  p.properties.content_type = std::string(65536, 'a');
  CHECK_THROWS_AS(v5::encode(p), std::length_error);
  // A reason code the packet may not carry.
  CHECK_THROWS_AS(v5::encode(v5::Disconnect{v5::ReasonCode::granted_qos_1, {}}), std::invalid_argument);
  CHECK_THROWS_AS(v5::encode(v5::Connack{false, v5::ReasonCode::session_taken_over, {}}), std::invalid_argument);
}

TEST_CASE("the property table") {
  CHECK(std::size(v5::all_properties) == 27);
  CHECK(std::string(v5::to_string(PropertyId::message_expiry_interval)) == "Message Expiry Interval");
  CHECK(std::string(v5::to_string(static_cast<PropertyId>(0x04))) == "unknown property");
  CHECK(v5::type_of(PropertyId::user_property) == PropertyType::utf8_string_pair);
  CHECK(v5::type_of(PropertyId::subscription_identifier) == PropertyType::variable_byte_integer);
  CHECK(v5::type_of(PropertyId::correlation_data) == PropertyType::binary_data);
  v5::Properties p;
  CHECK(p.empty());
  p.user_properties.push_back({"a", "b"});
  CHECK(!p.empty());
  CHECK(p.has(PropertyId::user_property));
  CHECK(!p.has(PropertyId::reason_string));
}
