// MQTT 5.0 DISCONNECT, AUTH, PINGREQ and PINGRESP (sections 3.12-3.15): the short forms of
// DISCONNECT and AUTH, their reason codes, and the fixed header rules.
#include "codec_v5_test.hpp"

using namespace codec_v5_test;
using broker::codec::PacketType;
using Error = broker::codec::Error;
using v5::ReasonCode;

TEST_CASE("v5 DISCONNECT: empty, reason only, reason and properties") {
  check_table(bytes({0xE0, 0x00}), v5::Disconnect{});
  check_table(bytes({0xE0, 0x01, 0x04}), v5::Disconnect{ReasonCode::disconnect_with_will_message, {}});
  const auto full = bytes({
      0xE0,                          // DISCONNECT
      0x0C,                          // remaining length 12
      0x8E,                          // Session taken over
      0x0A,                          // property length 10
      0x11, 0x00, 0x00, 0x00, 0x00,  //   Session Expiry Interval 0
      0x1C, 0x00, 0x02, 's', '2',    //   Server Reference "s2"
  });
  v5::Disconnect d{ReasonCode::session_taken_over, {}};
  d.properties.session_expiry_interval = 0;
  d.properties.server_reference = "s2";
  check_table(full, d);
  // Longer forms of Normal disconnection.
  check_long_form(bytes({0xE0, 0x01, 0x00}), v5::Disconnect{}, bytes({0xE0, 0x00}));
  check_long_form(bytes({0xE0, 0x02, 0x00, 0x00}), v5::Disconnect{}, bytes({0xE0, 0x00}));
}

TEST_CASE("v5 DISCONNECT malformed forms") {
  CHECK(decode_error(bytes({0xE1, 0x00})) == error_name(Error::bad_fixed_header_flags));
  CHECK(decode_error(bytes({0xE0, 0x01, 0x86})) == error_name(Error::bad_reason_code));
  CHECK(decode_error(bytes({0xE0, 0x02, 0x00, 0x01})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0xE0, 0x03, 0x00, 0x00, 0x00})) == error_name(Error::trailing_bytes));
  // Session Expiry Interval twice.
  CHECK(decode_error(bytes({0xE0, 0x0C, 0x00, 0x0A, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2})) ==
        error_name(Error::duplicate_property));
}

TEST_CASE("v5 AUTH") {
  check_table(bytes({0xF0, 0x00}), v5::Auth{});
  const auto wire = bytes({
      0xF0,                                  // AUTH
      0x0D,                                  // remaining length 13
      0x18,                                  // Continue authentication
      0x0B,                                  // property length 11
      0x15, 0x00, 0x04, 'S', 'C', 'R', 'A',  //   Authentication Method "SCRA"
      0x16, 0x00, 0x01, 0x2A,                //   Authentication Data 2A
  });
  v5::Auth a{ReasonCode::continue_authentication, {}};
  a.properties.authentication_method = "SCRA";
  a.properties.authentication_data = "*";
  check_table(wire, a);
  // Unlike DISCONNECT, AUTH has no form with a reason code but no Property Length.
  check_table(bytes({0xF0, 0x02, 0x19, 0x00}), v5::Auth{ReasonCode::re_authenticate, {}});
  CHECK(decode_error(bytes({0xF0, 0x01, 0x19})) == error_name(Error::truncated));
  check_long_form(bytes({0xF0, 0x02, 0x00, 0x00}), v5::Auth{}, bytes({0xF0, 0x00}));
  CHECK(decode_error(bytes({0xF0, 0x02, 0x87, 0x00})) == error_name(Error::bad_reason_code));
  CHECK(decode_error(bytes({0xF2, 0x00})) == error_name(Error::bad_fixed_header_flags));
  // Type 15 stays reserved for 3.1.1.
  CHECK(codec_test::decode_error(bytes({0xF0, 0x00})) == error_name(Error::bad_packet_type));
}

TEST_CASE("v5 PINGREQ, PINGRESP and the reserved type 0") {
  check_table(bytes({0xC0, 0x00}), codec::Pingreq{});
  check_table(bytes({0xD0, 0x00}), codec::Pingresp{});
  CHECK(decode_error(bytes({0xC0, 0x01, 0x00})) == error_name(Error::trailing_bytes));
  CHECK(decode_error(bytes({0xC8, 0x00})) == error_name(Error::bad_fixed_header_flags));
  CHECK(decode_error(bytes({0x00, 0x00})) == error_name(Error::bad_packet_type));
  CHECK(v5::type_of(v5::Packet{v5::Auth{}}) == PacketType::auth);
  CHECK(std::string(codec::to_string(PacketType::auth)) == "AUTH");
}
