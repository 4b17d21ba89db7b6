// UNSUBSCRIBE (MQTT 3.1.1 section 3.10): byte tables and malformed forms.
#include "codec_test.hpp"

using namespace codec_test;
using broker::codec::Unsubscribe;

TEST_CASE("UNSUBSCRIBE one filter") {
  const auto wire = bytes({
      0xA2,                            // UNSUBSCRIBE, flags 0010 [MQTT-3.10.1-1]
      0x08,                            // remaining length 8
      0x00, 0x02,                      // packet id 2
      0x00, 0x04, '/', '+', '/', 'm',  // filter "/+/m"
  });
  check_table(wire, Unsubscribe{2, {"/+/m"}});
}

TEST_CASE("UNSUBSCRIBE several filters") {
  const auto wire = bytes({
      0xA2,                            // UNSUBSCRIBE
      0x0B,                            // remaining length 11
      0x7F, 0xFF,                      // packet id 0x7FFF
      0x00, 0x01, '#',                 // filter "#"
      0x00, 0x04, 'a', '/', 'b', '/',  // filter "a/b/"
  });
  check_table(wire, Unsubscribe{0x7FFF, {"#", "a/b/"}});
}

TEST_CASE("UNSUBSCRIBE with any other fixed header flags is malformed") {
  const auto body = bytes({0x00, 0x01, 0x00, 0x01, 'a'});
  for (int flags = 0; flags < 16; ++flags) {
    if (flags == 0x02) continue;
    CAPTURE(flags);
    CHECK(decode_error(with_body(0xA0 | flags, body)) == error_name(codec::Error::bad_fixed_header_flags));
  }
  // MQTT 3.1 retries set DUP.
  CHECK(decode_as<Unsubscribe>(with_body(0xAA, body), codec::protocol_v31) == Unsubscribe{1, {"a"}});
}

TEST_CASE("UNSUBSCRIBE malformed") {
  using codec::Error;
  // [MQTT-3.10.3-2] at least one filter.
  CHECK(decode_error(bytes({0xA2, 0x02, 0x00, 0x01})) == error_name(Error::empty_subscription));
  CHECK(decode_error(bytes({0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, 'a'})) == error_name(Error::zero_packet_id));
  CHECK(decode_error(bytes({0xA2, 0x06, 0x00, 0x01, 0x00, 0x02, 'a', '#'})) == error_name(Error::bad_topic_filter));
  CHECK(decode_error(bytes({0xA2, 0x04, 0x00, 0x01, 0x00, 0x00})) == error_name(Error::bad_topic_filter));
  CHECK(decode_error(bytes({0xA2, 0x06, 0x00, 0x01, 0x00, 0x02, 0xC3, 'a'})) == error_name(Error::bad_utf8));
  CHECK(decode_error(bytes({0xA2, 0x05, 0x00, 0x01, 0x00, 0x02, 'a'})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0xA2, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0xA2, 0x01, 0x00})) == error_name(Error::truncated));
}
