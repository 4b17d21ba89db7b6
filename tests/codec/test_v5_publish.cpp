// MQTT 5.0 PUBLISH and PUBACK/PUBREC/PUBREL/PUBCOMP (sections 3.3-3.7): byte tables, the short
// forms of the acknowledgements, then the malformed forms and protocol errors.
#include "codec_v5_test.hpp"

using namespace codec_v5_test;
using broker::codec::PacketType;
using Error = broker::codec::Error;
using v5::ReasonCode;

TEST_CASE("v5 PUBLISH QoS 1 with message properties") {
  const auto wire = bytes({
      0x33,                                // PUBLISH, QoS 1, retain
      0x26,                                // remaining length 38
      0x00, 0x03, '/',  'l',  'k',         // topic "/lk"
      0x00, 0x07,                          // packet id 7
      0x1A,                                // property length 26
      0x01, 0x01,                          //   Payload Format Indicator 1 (UTF-8)
      0x02, 0x00, 0x00, 0x00, 0x23,        //   Message Expiry Interval 35 s
      0x08, 0x00, 0x02, '/',  'r',         //   Response Topic "/r"
      0x09, 0x00, 0x02, 0x01, 0x02,        //   Correlation Data 01 02
      0x23, 0x00, 0x04,                    //   Topic Alias 4
      0x26, 0x00, 0x01, 'a',  0x00, 0x00,  // User Property a=""
      'o',  'p',  'e',  'n',               // payload
  });
  v5::Publish p;
  p.qos = 1;
  p.retain = true;
  p.topic = "/lk";
  p.packet_id = 7;
  p.properties.payload_format_indicator = 1;
  p.properties.message_expiry_interval = 35;
  p.properties.response_topic = "/r";
  p.properties.correlation_data = std::string("\x01\x02", 2);
  p.properties.topic_alias = 4;
  p.properties.user_properties = {{"a", ""}};
  p.payload = "open";
  check_table(wire, p);
}

TEST_CASE("v5 PUBLISH QoS 0, no properties, empty payload") {
  const auto wire = bytes({
      0x30,             // PUBLISH QoS 0
      0x04,             // remaining length 4
      0x00, 0x01, 't',  // topic "t"
      0x00,             // property length 0
  });
  v5::Publish p;
  p.topic = "t";
  check_table(wire, p);
}

TEST_CASE("v5 PUBLISH: an empty topic needs a Topic Alias") {
  const auto with_alias = bytes({
      0x30, 0x07,        // PUBLISH QoS 0, remaining length 7
      0x00, 0x00,        // topic "" (the alias stands for it)
      0x03,              // property length 3
      0x23, 0x00, 0x02,  //   Topic Alias 2
      'x',               // payload
  });
  v5::Publish p;
  p.properties.topic_alias = 2;
  p.payload = "x";
  check_table(with_alias, p);
  auto e = v5::decode(bytes({0x30, 0x04, 0x00, 0x00, 0x00, 'x'})).error;
  CHECK(error_name(e) == error_name(Error::missing_topic));
  CHECK(v5::is_protocol_error(e));
}

TEST_CASE("v5 PUBLISH malformed forms") {
  CHECK(decode_error(bytes({0x36, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 0x00})) == error_name(Error::bad_qos));
  CHECK(decode_error(bytes({0x38, 0x04, 0x00, 0x01, 't', 0x00})) ==
        error_name(Error::bad_fixed_header_flags));  // DUP on QoS 0
  CHECK(decode_error(bytes({0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x00, 0x00})) == error_name(Error::zero_packet_id));
  CHECK(decode_error(bytes({0x30, 0x04, 0x00, 0x01, '+', 0x00})) == error_name(Error::bad_topic));
  CHECK(decode_error(bytes({0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x01})) ==
        error_name(Error::truncated));  // no property length after the packet id
  // A CONNECT-only property in a PUBLISH is malformed.
  CHECK(decode_error(bytes({0x30, 0x09, 0x00, 0x01, 't', 0x05, 0x11, 0x00, 0x00, 0x00, 0x01})) ==
        error_name(Error::bad_property));
}

TEST_CASE("v5 PUBACK short forms: packet id only, with a reason code, with properties") {
  // Success and no properties: Remaining Length 2.
  v5::PubAck ok{PacketType::puback, 0x1234, ReasonCode::success, {}};
  check_table(bytes({0x40, 0x02, 0x12, 0x34}), ok);
  // A reason code and no properties: Remaining Length 3.
  v5::PubAck none{PacketType::puback, 1, ReasonCode::no_matching_subscribers, {}};
  check_table(bytes({0x40, 0x03, 0x00, 0x01, 0x10}), none);
  // Both: the full form.
  const auto full = bytes({
      0x40, 0x0A,                       // PUBACK, remaining length 10
      0x00, 0x02,                       // packet id 2
      0x87,                             // Not authorized
      0x06,                             // property length 6
      0x1F, 0x00, 0x03, 'a', 'c', 'l',  // Reason String "acl"
  });
  v5::PubAck refused{PacketType::puback, 2, ReasonCode::not_authorized, {}};
  refused.properties.reason_string = "acl";
  check_table(full, refused);
  // The longer forms a sender may choose decode the same and encode to the shortest.
  check_long_form(bytes({0x40, 0x03, 0x12, 0x34, 0x00}), ok, bytes({0x40, 0x02, 0x12, 0x34}));
  check_long_form(bytes({0x40, 0x04, 0x12, 0x34, 0x00, 0x00}), ok, bytes({0x40, 0x02, 0x12, 0x34}));
  check_long_form(bytes({0x40, 0x04, 0x00, 0x01, 0x10, 0x00}), none, bytes({0x40, 0x03, 0x00, 0x01, 0x10}));
}

TEST_CASE("v5 PUBREC, PUBREL, PUBCOMP") {
  check_table(bytes({0x50, 0x03, 0x00, 0x05, 0x80}),
              v5::PubAck{PacketType::pubrec, 5, ReasonCode::unspecified_error, {}});
  check_table(bytes({0x62, 0x02, 0x00, 0x05}), v5::PubAck{PacketType::pubrel, 5, ReasonCode::success, {}});
  check_table(bytes({0x62, 0x03, 0x00, 0x05, 0x92}),
              v5::PubAck{PacketType::pubrel, 5, ReasonCode::packet_identifier_not_found, {}});
  v5::PubAck comp{PacketType::pubcomp, 5, ReasonCode::success, {}};
  comp.properties.user_properties = {{"k", "v"}};
  check_table(bytes({0x70, 0x0B, 0x00, 0x05, 0x00, 0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'}), comp);
}

TEST_CASE("v5 acknowledgements: reason codes, packet id 0, flags, properties") {
  struct Ack {
    int first;
    PacketType type;
  };
  for (auto a : {Ack{0x40, PacketType::puback}, Ack{0x50, PacketType::pubrec}, Ack{0x62, PacketType::pubrel},
                 Ack{0x70, PacketType::pubcomp}}) {
    CAPTURE(a.first);
    for (int code = 0; code < 256; ++code) {
      auto r = v5::decode(bytes({a.first, 0x03, 0x00, 0x01, code}));
      bool allowed = v5::reason_allowed(static_cast<ReasonCode>(code), a.type);
      CAPTURE(code);
      CHECK(r.ok() == allowed);
      if (!allowed) CHECK(error_name(r.error) == error_name(Error::bad_reason_code));
    }
    CHECK(decode_error(bytes({a.first, 0x02, 0x00, 0x00})) == error_name(Error::zero_packet_id));
    CHECK(decode_error(bytes({a.first, 0x01, 0x00})) == error_name(Error::truncated));
    CHECK(decode_error(bytes({a.first ^ 0x01, 0x02, 0x00, 0x01})) == error_name(Error::bad_fixed_header_flags));
    // Property length 2 with one byte left; a property not allowed in acknowledgements.
    CHECK(decode_error(bytes({a.first, 0x05, 0x00, 0x01, 0x00, 0x02, 0x1F})) == error_name(Error::truncated));
    CHECK(decode_error(bytes({a.first, 0x06, 0x00, 0x01, 0x00, 0x02, 0x01, 0x01})) == error_name(Error::bad_property));
  }
  // PUBREL's Packet Identifier not found is not PUBACK's, and No matching subscribers is not
  // PUBREL's.
  CHECK(decode_error(bytes({0x40, 0x03, 0x00, 0x01, 0x92})) == error_name(Error::bad_reason_code));
  CHECK(decode_error(bytes({0x62, 0x03, 0x00, 0x01, 0x10})) == error_name(Error::bad_reason_code));
}
