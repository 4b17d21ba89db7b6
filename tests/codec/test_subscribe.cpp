// SUBSCRIBE (MQTT 3.1.1 section 3.8): byte tables, then malformed forms.
#include "codec_test.hpp"

using namespace codec_test;
using broker::codec::Subscribe;

TEST_CASE("SUBSCRIBE one filter, the mini-program's") {
  const auto wire = bytes({
      0x82,                                                                    // SUBSCRIBE, flags 0010 [MQTT-3.8.1-1]
      0x13,                                                                    // remaining length 19
      0x00, 0x01,                                                              // packet id 1
      0x00, 0x0E,                                                              // filter length 14
      '/',  '1',  '2', '3', '4', '5', '6', '7', '8', '9', '0', '1', '/', '#',  // "/12345678901/#"
      0x01,                                                                    // requested QoS 1
  });
  check_table(wire, Subscribe{1, {{"/12345678901/#", 1}}});
}

TEST_CASE("SUBSCRIBE several filters at QoS 0, 1 and 2") {
  const auto wire = bytes({
      0x82,                       // SUBSCRIBE
      0x11,                       // remaining length 17
      0xAB, 0xCD,                 // packet id 0xABCD
      0x00, 0x01, '#',            // filter "#"
      0x00,                       // QoS 0
      0x00, 0x03, '/', '+', '/',  // filter "/+/"
      0x01,                       // QoS 1
      0x00, 0x02, 'a', 'b',       // filter "ab"
      0x02,                       // QoS 2
  });
  check_table(wire, Subscribe{0xABCD, {{"#", 0}, {"/+/", 1}, {"ab", 2}}});
}

TEST_CASE("SUBSCRIBE with any other fixed header flags is malformed") {
  const auto body = bytes({0x00, 0x01, 0x00, 0x01, 'a', 0x00});
  for (int flags = 0; flags < 16; ++flags) {
    if (flags == 0x02) continue;
    CAPTURE(flags);
    CHECK(decode_error(with_body(0x80 | flags, body)) == error_name(codec::Error::bad_fixed_header_flags));
  }
}

TEST_CASE("SUBSCRIBE from MQTT 3.1 may carry DUP on a retry") {
  const auto wire = bytes({
      0x8A,             // SUBSCRIBE, DUP 1, QoS 1 (MQTT 3.1 section 4.2)
      0x06,             // remaining length 6
      0x00, 0x05,       // packet id 5
      0x00, 0x01, 'a',  // filter "a"
      0x00,             // QoS 0
  });
  CHECK(decode_as<Subscribe>(wire, codec::protocol_v31) == Subscribe{5, {{"a", 0}}});
  CHECK(decode_error(wire) == error_name(codec::Error::bad_fixed_header_flags));
}

TEST_CASE("SUBSCRIBE without filters, with packet id 0, or a bad requested QoS") {
  using codec::Error;
  // [MQTT-3.8.3-3] at least one filter.
  CHECK(decode_error(bytes({0x82, 0x02, 0x00, 0x01})) == error_name(Error::empty_subscription));
  // [MQTT-2.3.1-1]
  CHECK(decode_error(bytes({0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 'a', 0x00})) == error_name(Error::zero_packet_id));
  // [MQTT-3-8.3-4] QoS 3, and the reserved upper six bits.
  for (int qos : {0x03, 0x04, 0x40, 0x80, 0x81, 0xFC}) {
    CAPTURE(qos);
    CHECK(decode_error(bytes({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', qos})) == error_name(Error::bad_qos));
  }
}

TEST_CASE("SUBSCRIBE with filters that break the wildcard rules or UTF-8") {
  using codec::Error;
  for (std::string filter : {"", "a#", "#/a", "a/#/b", "a+", "+a", "a/b+/c", "##", "++"}) {
    CAPTURE(filter);
    std::string body = bytes({0x00, 0x01, 0x00, static_cast<int>(filter.size())}) + filter;
    body += '\0';
    CHECK(decode_error(with_body(0x82, body)) == error_name(Error::bad_topic_filter));
  }
  CHECK(decode_error(bytes({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x80, 0x00})) == error_name(Error::bad_utf8));
  // One bad filter among good ones rejects the whole packet.
  CHECK(decode_error(bytes({0x82, 0x0A, 0x00, 0x01, 0x00, 0x01, 'a', 0x00, 0x00, 0x01, 0x00, 0x00})) ==
        error_name(Error::bad_utf8));
}

TEST_CASE("SUBSCRIBE cut short") {
  using codec::Error;
  CHECK(decode_error(bytes({0x82, 0x00})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0x82, 0x01, 0x00})) == error_name(Error::truncated));
  // A filter with no requested QoS byte after it.
  CHECK(decode_error(bytes({0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'})) == error_name(Error::truncated));
  // A filter length running past the end.
  CHECK(decode_error(bytes({0x82, 0x06, 0x00, 0x01, 0x00, 0x05, 'a', 0x00})) == error_name(Error::truncated));
  // A lone byte after a complete filter starts another that is cut off.
  CHECK(decode_error(bytes({0x82, 0x07, 0x00, 0x01, 0x00, 0x01, 'a', 0x00, 0x00})) == error_name(Error::truncated));
}
