// MQTT 5.0 SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (sections 3.8-3.11): byte tables with every
// subscription option, then reserved bits, protocol errors and malformed forms.
#include "codec_v5_test.hpp"

using namespace codec_v5_test;
using Error = broker::codec::Error;
using v5::ReasonCode;
using v5::RetainHandling;

TEST_CASE("v5 SUBSCRIBE with a Subscription Identifier and every option") {
  const auto wire = bytes({
      0x82,                       // SUBSCRIBE, flags 0010
      0x14,                       // remaining length 20
      0x00, 0x0A,                 // packet id 10
      0x02,                       // property length 2
      0x0B, 0x07,                 //   Subscription Identifier 7
      0x00, 0x02, '/', '#',       // filter "/#"
      0x2D,                       // options: Retain Handling 2, RAP, No Local, QoS 1
      0x00, 0x03, 'a', '/', '+',  // filter "a/+"
      0x00,                       // options: all 0 (QoS 0, Retain Handling 0)
      0x00, 0x01, 'b',            // filter "b"
      0x1A,                       // options: Retain Handling 1, RAP, QoS 2
  });
  v5::Subscribe s;
  s.packet_id = 10;
  s.properties.subscription_identifiers = {7};
  s.topics = {
      {"/#", 1, true, true, RetainHandling::do_not_send},
      {"a/+", 0, false, false, RetainHandling::send},
      {"b", 2, false, true, RetainHandling::send_if_new},
  };
  check_table(wire, s);
}

TEST_CASE(
    "v5 SUBSCRIBE options: reserved bits malformed, QoS 3 and Retain Handling 3 protocol "
    "errors") {
  for (int options = 0; options < 256; ++options) {
    CAPTURE(options);
    const auto wire = bytes({0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', options});
    auto r = v5::decode(wire);
    if (options & 0xC0) {
      CHECK(error_name(r.error) == error_name(Error::bad_subscription_options));
      CHECK(v5::reason_for(r.error) == v5::ReasonCode::malformed_packet);
    } else if ((options & 0x03) == 3 || ((options >> 4) & 0x03) == 3) {
      CHECK(error_name(r.error) == error_name(Error::bad_subscription_value));
      CHECK(v5::is_protocol_error(r.error));
    } else {
      REQUIRE(r.ok());
      CHECK(hex(v5::encode(r.packet)) == hex(wire));  // every accepted options byte survives
    }
  }
}

TEST_CASE("v5 SUBSCRIBE malformed forms") {
  CHECK(decode_error(bytes({0x80, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', 0x00})) ==
        error_name(Error::bad_fixed_header_flags));
  CHECK(decode_error(bytes({0x82, 0x03, 0x00, 0x01, 0x00})) == error_name(Error::empty_subscription));
  CHECK(decode_error(bytes({0x82, 0x07, 0x00, 0x00, 0x00, 0x00, 0x01, 't', 0x00})) ==
        error_name(Error::zero_packet_id));
  CHECK(decode_error(bytes({0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 't'})) ==
        error_name(Error::truncated));  // options byte missing
  CHECK(decode_error(bytes({0x82, 0x09, 0x00, 0x01, 0x00, 0x00, 0x03, 'a', '#', 'b', 0x00})) ==
        error_name(Error::bad_topic_filter));
  // A Topic Alias belongs to PUBLISH.
  CHECK(decode_error(bytes({0x82, 0x0A, 0x00, 0x01, 0x03, 0x23, 0x00, 0x01, 0x00, 0x01, 't', 0x00})) ==
        error_name(Error::bad_property));
}

TEST_CASE("v5 SUBACK") {
  const auto wire = bytes({
      0x90,        // SUBACK
      0x08,        // remaining length 8
      0x00, 0x0A,  // packet id 10
      0x00,        // property length 0
      0x01,        // Granted QoS 1
      0x00,        // Granted QoS 0
      0x02,        // Granted QoS 2
      0x87,        // Not authorized
      0xA2,        // Wildcard Subscriptions not supported
  });
  v5::Suback s;
  s.packet_id = 10;
  s.reasons = {ReasonCode::granted_qos_1, v5::granted_qos_0, ReasonCode::granted_qos_2, ReasonCode::not_authorized,
               ReasonCode::wildcard_subscriptions_not_supported};
  check_table(wire, s);
  CHECK(decode_error(bytes({0x90, 0x04, 0x00, 0x01, 0x00, 0x92})) == error_name(Error::bad_reason_code));
  CHECK(decode_error(bytes({0x90, 0x03, 0x00, 0x01, 0x00})) == error_name(Error::empty_subscription));
}

TEST_CASE("v5 UNSUBSCRIBE and UNSUBACK") {
  const auto unsubscribe = bytes({
      0xA2,                                    // UNSUBSCRIBE, flags 0010
      0x11,                                    // remaining length 17
      0x00, 0x0B,                              // packet id 11
      0x07,                                    // property length 7
      0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',  // User Property k=v
      0x00, 0x02, '/',  '#',                   // filter "/#"
      0x00, 0x01, 'x',                         // filter "x"
  });
  v5::Unsubscribe u;
  u.packet_id = 11;
  u.properties.user_properties = {{"k", "v"}};
  u.filters = {"/#", "x"};
  check_table(unsubscribe, u);
  const auto unsuback = bytes({
      0xB0,        // UNSUBACK
      0x05,        // remaining length 5
      0x00, 0x0B,  // packet id 11
      0x00,        // property length 0
      0x00,        // Success
      0x11,        // No subscription existed
  });
  v5::Unsuback a;
  a.packet_id = 11;
  a.reasons = {ReasonCode::success, ReasonCode::no_subscription_existed};
  check_table(unsuback, a);
  CHECK(decode_error(bytes({0xA2, 0x03, 0x00, 0x01, 0x00})) == error_name(Error::empty_subscription));
  CHECK(decode_error(bytes({0xA2, 0x07, 0x00, 0x01, 0x02, 0x0B, 0x01, 0x00, 0x00})) ==
        error_name(Error::bad_property));  // no Subscription Identifier in UNSUBSCRIBE
  CHECK(decode_error(bytes({0xB0, 0x04, 0x00, 0x01, 0x00, 0x01})) ==
        error_name(Error::bad_reason_code));  // Granted QoS 1 is SUBACK's
  CHECK(decode_error(bytes({0xB0, 0x02, 0x00, 0x01})) == error_name(Error::truncated));
}
