// The fixed header as decode() judges it: reserved packet types and remaining-length forms.
// Per-type flag rules are in each packet type's own file.
#include "codec_test.hpp"

using namespace codec_test;

TEST_CASE("packet types 0 and 15 are reserved") {
  using codec::Error;
  for (int flags = 0; flags < 16; ++flags) {
    CAPTURE(flags);
    CHECK(decode_error(bytes({0x00 | flags, 0x00})) == error_name(Error::bad_packet_type));
    CHECK(decode_error(bytes({0xF0 | flags, 0x00})) == error_name(Error::bad_packet_type));
    CHECK(decode_error(bytes({0xF0 | flags, 0x02, 0x00, 0x01})) == error_name(Error::bad_packet_type));
  }
  CHECK(decode_error(bytes({0x00, 0x00}), codec::protocol_v31) == error_name(Error::bad_packet_type));
}

TEST_CASE("decode() wants exactly one whole packet") {
  using codec::Error;
  CHECK(decode_error("") == error_name(Error::truncated));
  CHECK(decode_error(bytes({0xC0})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0xC0, 0x80})) == error_name(Error::truncated));
  // Two packets at once: the second is trailing bytes to decode().
  CHECK(decode_error(bytes({0xC0, 0x00, 0xC0, 0x00})) == error_name(Error::trailing_bytes));
  // The largest remaining length there is, with no body behind it.
  CHECK(decode_error(bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F})) == error_name(Error::truncated));
}

TEST_CASE("a remaining length in more bytes than needed is read, and re-encoded minimally") {
  // MQTT 3.1.1 does not require the shortest form (MQTT 5 does); mosquitto and EMQX accept it,
  // and an embedded client that reserves header space may send it.
  const auto padded = bytes({
      0xC0,        // PINGREQ
      0x80, 0x00,  // remaining length 0 in two bytes
  });
  auto r = codec::decode(padded);
  REQUIRE(r.ok());
  CHECK(hex(codec::encode(r.packet)) == "c0 00");
  const auto padded_puback = bytes({
      0x40,              // PUBACK
      0x82, 0x80, 0x00,  // remaining length 2 in three bytes
      0x00, 0x09,        // packet id 9
  });
  r = codec::decode(padded_puback);
  REQUIRE(r.ok());
  CHECK(hex(codec::encode(r.packet)) == "40 02 00 09");
}
