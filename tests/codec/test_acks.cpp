// PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK (MQTT 3.1.1 sections 3.4-3.7, 3.11): a fixed
// header and a packet id each, so one table per type and shared malformed checks.
#include "codec_test.hpp"

using namespace codec_test;
using broker::codec::Ack;
using broker::codec::PacketType;

namespace {

struct AckType {
  PacketType type;
  int first;  // the only valid first byte: PUBREL's flags are 0010, the others' 0000
};

const AckType ack_types[] = {
    {PacketType::puback, 0x40},  {PacketType::pubrec, 0x50},   {PacketType::pubrel, 0x62},
    {PacketType::pubcomp, 0x70}, {PacketType::unsuback, 0xB0},
};

}  // namespace

TEST_CASE("PUBACK") {
  const auto wire = bytes({
      0x40,        // PUBACK, flags 0000
      0x02,        // remaining length 2
      0x12, 0x34,  // packet id 0x1234
  });
  check_table(wire, Ack{PacketType::puback, 0x1234});
}

TEST_CASE("PUBREC") {
  const auto wire = bytes({
      0x50,        // PUBREC, flags 0000
      0x02,        // remaining length 2
      0x00, 0x01,  // packet id 1
  });
  check_table(wire, Ack{PacketType::pubrec, 1});
}

TEST_CASE("PUBREL") {
  const auto wire = bytes({
      0x62,        // PUBREL, flags 0010 [MQTT-3.6.1-1]
      0x02,        // remaining length 2
      0xFF, 0xFF,  // packet id 65535
  });
  check_table(wire, Ack{PacketType::pubrel, 0xFFFF});
}

TEST_CASE("PUBCOMP") {
  const auto wire = bytes({
      0x70,        // PUBCOMP, flags 0000
      0x02,        // remaining length 2
      0x80, 0x00,  // packet id 0x8000
  });
  check_table(wire, Ack{PacketType::pubcomp, 0x8000});
}

TEST_CASE("UNSUBACK") {
  const auto wire = bytes({
      0xB0,        // UNSUBACK, flags 0000
      0x02,        // remaining length 2
      0x00, 0x2A,  // packet id 42
  });
  check_table(wire, Ack{PacketType::unsuback, 42});
}

TEST_CASE("acks with any other fixed header flags are malformed") {
  for (auto t : ack_types) {
    for (int flags = 0; flags < 16; ++flags) {
      int first = (t.first & 0xF0) | flags;
      if (first == t.first) continue;
      CAPTURE(first);
      CHECK(decode_error(bytes({first, 0x02, 0x00, 0x01})) == error_name(codec::Error::bad_fixed_header_flags));
    }
  }
}

TEST_CASE("acks with packet id 0, cut short, or with bytes left over") {
  using codec::Error;
  for (auto t : ack_types) {
    CAPTURE(t.first);
    CHECK(decode_error(bytes({t.first, 0x02, 0x00, 0x00})) == error_name(Error::zero_packet_id));
    CHECK(decode_error(bytes({t.first, 0x01, 0x01})) == error_name(Error::truncated));
    CHECK(decode_error(bytes({t.first, 0x00})) == error_name(Error::truncated));
    CHECK(decode_error(bytes({t.first, 0x03, 0x00, 0x01, 0x00})) == error_name(Error::trailing_bytes));
  }
}

TEST_CASE("MQTT 3.1 PUBREL may carry DUP on a retry") {
  // MQTT 3.1 section 4.2: a PUBREL, SUBSCRIBE or UNSUBSCRIBE sent again should set DUP; 3.1.1
  // fixed those flags to 0010, so only a 3.1 connection may send 0x6A.
  const auto wire = bytes({
      0x6A,        // PUBREL, DUP 1, QoS 1
      0x02,        // remaining length 2
      0x00, 0x07,  // packet id 7
  });
  CHECK(decode_as<Ack>(wire, codec::protocol_v31) == Ack{PacketType::pubrel, 7});
  CHECK(decode_error(wire, codec::protocol_v311) == error_name(codec::Error::bad_fixed_header_flags));
  // DUP is all 3.1 adds: other flag patterns stay malformed there too.
  CHECK(decode_error(bytes({0x60, 0x02, 0x00, 0x07}), codec::protocol_v31) ==
        error_name(codec::Error::bad_fixed_header_flags));
  CHECK(decode_error(bytes({0x4A, 0x02, 0x00, 0x07}), codec::protocol_v31) ==
        error_name(codec::Error::bad_fixed_header_flags));
}
