// PINGREQ, PINGRESP and DISCONNECT (MQTT 3.1.1 sections 3.12-3.14): two bytes each.
#include "codec_test.hpp"

using namespace codec_test;
using broker::codec::Disconnect;
using broker::codec::Pingreq;
using broker::codec::Pingresp;

TEST_CASE("PINGREQ") {
  check_table(bytes({
                  0xC0,  // PINGREQ, flags 0000
                  0x00,  // remaining length 0
              }),
              Pingreq{});
}

TEST_CASE("PINGRESP") {
  check_table(bytes({
                  0xD0,  // PINGRESP, flags 0000
                  0x00,  // remaining length 0
              }),
              Pingresp{});
}

TEST_CASE("DISCONNECT") {
  check_table(bytes({
                  0xE0,  // DISCONNECT, flags 0000
                  0x00,  // remaining length 0
              }),
              Disconnect{});
}

TEST_CASE("PINGREQ, PINGRESP and DISCONNECT with a body or flags are malformed") {
  using codec::Error;
  for (int first : {0xC0, 0xD0, 0xE0}) {
    CAPTURE(first);
    CHECK(decode_error(bytes({first, 0x01, 0x00})) == error_name(Error::trailing_bytes));
    CHECK(decode_error(bytes({first, 0x02, 'x', 'y'})) == error_name(Error::trailing_bytes));
    for (int flags = 1; flags < 16; ++flags) {
      CAPTURE(flags);
      CHECK(decode_error(bytes({first | flags, 0x00})) == error_name(Error::bad_fixed_header_flags));
    }
  }
}
