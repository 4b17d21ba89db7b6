// SUBACK (MQTT 3.1.1 section 3.9): byte tables and malformed forms.
#include "codec_test.hpp"

using namespace codec_test;
using broker::codec::Suback;

TEST_CASE("SUBACK granting QoS 1") {
  const auto wire = bytes({
      0x90,        // SUBACK, flags 0000
      0x03,        // remaining length 3
      0x00, 0x01,  // packet id 1
      0x01,        // granted QoS 1
  });
  check_table(wire, Suback{1, {1}});
}

TEST_CASE("SUBACK with every return code, a denied filter included") {
  const auto wire = bytes({
      0x90,        // SUBACK
      0x06,        // remaining length 6
      0x12, 0x34,  // packet id 0x1234
      0x00,        // granted QoS 0
      0x80,        // failure: the ACL denied this filter
      0x02,        // granted QoS 2
      0x01,        // granted QoS 1
  });
  check_table(wire, Suback{0x1234, {0, codec::suback_failure, 2, 1}});
}

TEST_CASE("SUBACK malformed") {
  using codec::Error;
  for (int code : {0x03, 0x04, 0x7F, 0x81, 0xFF}) {
    CAPTURE(code);
    CHECK(decode_error(bytes({0x90, 0x03, 0x00, 0x01, code})) == error_name(Error::bad_suback_code));
  }
  CHECK(decode_error(bytes({0x90, 0x02, 0x00, 0x01})) == error_name(Error::empty_subscription));
  CHECK(decode_error(bytes({0x90, 0x03, 0x00, 0x00, 0x00})) == error_name(Error::zero_packet_id));
  CHECK(decode_error(bytes({0x90, 0x01, 0x00})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0x90, 0x04, 0x00, 0x01, 0x00})) == error_name(Error::truncated));
  for (int flags = 1; flags < 16; ++flags) {
    CAPTURE(flags);
    CHECK(decode_error(bytes({0x90 | flags, 0x03, 0x00, 0x01, 0x00})) == error_name(Error::bad_fixed_header_flags));
  }
}
