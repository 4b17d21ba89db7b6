// CONNACK (MQTT 3.1.1 section 3.2): byte tables for each return code, then malformed forms.
#include "codec_test.hpp"

using namespace codec_test;
using broker::codec::Connack;
using broker::codec::ConnectReturn;

TEST_CASE("CONNACK accepted, no session") {
  const auto wire = bytes({
      0x20,  // CONNACK, flags 0000
      0x02,  // remaining length 2
      0x00,  // acknowledge flags: session present 0
      0x00,  // return code 0: accepted
  });
  check_table(wire, Connack{false, ConnectReturn::accepted});
}

TEST_CASE("CONNACK accepted with a session present") {
  const auto wire = bytes({
      0x20,  // CONNACK
      0x02,  // remaining length 2
      0x01,  // session present 1
      0x00,  // accepted
  });
  check_table(wire, Connack{true, ConnectReturn::accepted});
}

TEST_CASE("CONNACK refusals carry their return code") {
  // 2 is what an empty client id with clean session 0 gets, 5 what a wrong password gets.
  struct Row {
    int code;
    ConnectReturn value;
  };
  for (auto row : {Row{1, ConnectReturn::unacceptable_protocol}, Row{2, ConnectReturn::identifier_rejected},
                   Row{3, ConnectReturn::server_unavailable}, Row{4, ConnectReturn::bad_username_or_password},
                   Row{5, ConnectReturn::not_authorized}}) {
    CAPTURE(row.code);
    const auto wire = bytes({
        0x20,      // CONNACK
        0x02,      // remaining length 2
        0x00,      // session present 0
        row.code,  // return code
    });
    check_table(wire, Connack{false, row.value});
  }
}

TEST_CASE("CONNACK malformed") {
  using codec::Error;
  // Acknowledge flags bits 7-1 are reserved.
  CHECK(decode_error(bytes({0x20, 0x02, 0x02, 0x00})) == error_name(Error::bad_connect_flags));
  CHECK(decode_error(bytes({0x20, 0x02, 0x80, 0x00})) == error_name(Error::bad_connect_flags));
  // Return codes 6-255 are reserved.
  CHECK(decode_error(bytes({0x20, 0x02, 0x00, 0x06})) == error_name(Error::bad_connect_flags));
  CHECK(decode_error(bytes({0x20, 0x02, 0x00, 0xFF})) == error_name(Error::bad_connect_flags));
  CHECK(decode_error(bytes({0x20, 0x01, 0x00})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0x20, 0x00})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0x20, 0x03, 0x00, 0x00, 0x00})) == error_name(Error::trailing_bytes));
  for (int flags = 1; flags < 16; ++flags) {
    CAPTURE(flags);
    CHECK(decode_error(bytes({0x20 | flags, 0x02, 0x00, 0x00})) == error_name(Error::bad_fixed_header_flags));
  }
}
