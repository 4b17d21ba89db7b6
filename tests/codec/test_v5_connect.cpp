// MQTT 5.0 CONNECT and CONNACK (sections 3.1, 3.2): byte tables, then the malformed forms.
#include "codec_v5_test.hpp"

using namespace codec_v5_test;
using Error = broker::codec::Error;

namespace {

const std::string full_connect = bytes({
    0x10,                               // CONNECT
    0x32,                               // remaining length 50
    0x00, 0x04, 'M',  'Q',  'T',  'T',  // protocol name
    0x05,                               // protocol level 5
    0xEE,                               // user, password, will retain, will QoS 1, will, clean start
    0x00, 0x3C,                         // keepalive 60 s
    0x08,                               // property length 8
    0x11, 0x00, 0x00, 0x00, 0x78,       //   Session Expiry Interval 120 s
    0x21, 0x00, 0x0A,                   //   Receive Maximum 10
    0x00, 0x03, 'c',  'i',  'd',        // client id
    0x0A,                               // will property length 10
    0x03, 0x00, 0x02, 't',  'x',        //   Content Type "tx"
    0x18, 0x00, 0x00, 0x00, 0x05,       //   Will Delay Interval 5 s
    0x00, 0x02, '/',  's',              // will topic
    0x00, 0x02, '-',  '2',              // will payload
    0x00, 0x01, 'u',                    // user name
    0x00, 0x02, 0x00, 0xFF,             // password (binary)
});

v5::Connect full_connect_value() {
  v5::Connect c;
  c.clean_start = true;
  c.keepalive = 60;
  c.properties.session_expiry_interval = 120;
  c.properties.receive_maximum = 10;
  c.client_id = "cid";
  v5::Will w;
  w.properties.will_delay_interval = 5;
  w.properties.content_type = "tx";
  w.topic = "/s";
  w.payload = "-2";
  w.qos = 1;
  w.retain = true;
  c.will = w;
  c.username = "u";
  c.password = std::string("\x00\xFF", 2);
  return c;
}

std::string with_flags(int flags) {
  auto wire = full_connect;
  wire[9] = static_cast<char>(flags);
  return wire;
}

}  // namespace

TEST_CASE("v5 CONNECT with properties, will properties, user name and password") {
  check_table(full_connect, full_connect_value());
}

TEST_CASE("v5 CONNECT, minimal: no properties, empty client id") {
  const auto wire = bytes({
      0x10,                            // CONNECT
      0x0D,                            // remaining length 13
      0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
      0x05,                            // level 5
      0x00,                            // clean start 0
      0x00, 0x00,                      // keepalive off
      0x00,                            // property length 0
      0x00, 0x00,                      // client id ""
  });
  v5::Connect c;
  c.clean_start = false;
  check_table(wire, c);
}

TEST_CASE("v5 CONNECT: a password without a user name is allowed (3.1.2.9)") {
  const auto wire = bytes({
      0x10, 0x12,                      // CONNECT, remaining length 18
      0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
      0x05,                            // level 5
      0x42,                            // password, clean start
      0x00, 0x0A,                      // keepalive 10 s
      0x00,                            // property length 0
      0x00, 0x01, 'c',                 // client id
      0x00, 0x02, 'p', 'w',            // password
  });
  v5::Connect c;
  c.keepalive = 10;
  c.client_id = "c";
  c.password = "pw";
  check_table(wire, c);
}

TEST_CASE("v5 CONNECT: flags, name and level") {
  CHECK(decode_error(with_flags(0xEF)) == error_name(Error::bad_connect_flags));  // reserved bit
  CHECK(decode_error(with_flags(0xFE)) == error_name(Error::bad_qos));            // will QoS 3
  CHECK(decode_error(bytes({0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00})) ==
        error_name(Error::bad_connect_flags));  // will QoS 2 without a will
  CHECK(decode_error(bytes({0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00})) ==
        error_name(Error::bad_connect_flags));  // will retain without a will
  // Level 4 and "MQIsdp" belong to the 3.1.1 decoder; here they are the wrong version.
  auto level4 = full_connect;
  level4[8] = 4;
  auto e = v5::decode(level4).error;
  CHECK(error_name(e) == error_name(Error::bad_protocol_level));
  CHECK(v5::reason_for(e) == v5::ReasonCode::unsupported_protocol_version);
  auto name = full_connect;
  name[5] = 'X';
  CHECK(decode_error(name) == error_name(Error::bad_protocol_name));
  // And the 3.1.1 decoder still refuses level 5 as before (CONNACK 1 in the broker).
  CHECK(codec_test::decode_error(full_connect) == error_name(Error::bad_protocol_level));
}

TEST_CASE("v5 CONNECT: will topic, property placement and truncation") {
  // The will's property block holds a Session Expiry Interval, which belongs to CONNECT.
  auto wire = with_body(0x10, bytes({0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x01,
                                     'c',  0x05, 0x11, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',  0x00, 0x00}));
  CHECK(decode_error(wire) == error_name(Error::bad_property));
  // A will topic with a wildcard.
  wire = with_body(0x10, bytes({0x00, 0x04, 'M',  'Q', 'T',  'T',  0x05, 0x06, 0x00, 0x00,
                                0x00, 0x00, 0x01, 'c', 0x00, 0x00, 0x01, '#',  0x00, 0x00}));
  CHECK(decode_error(wire) == error_name(Error::bad_topic));
  // Every cut of the full CONNECT is truncated: a field, or a flagged field, is missing.
  auto body = body_of(full_connect);
  for (std::size_t n = 0; n < body.size(); ++n) {
    CAPTURE(n);
    CHECK(decode_error(with_body(0x10, body.substr(0, n))) == error_name(Error::truncated));
  }
  CHECK(decode_error(with_body(0x10, body + "x")) == error_name(Error::trailing_bytes));
}

TEST_CASE("v5 CONNACK, accepted with the server's limits") {
  const auto wire = bytes({
      0x20,              // CONNACK
      0x0E,              // remaining length 14
      0x01,              // session present
      0x00,              // Success
      0x0B,              // property length 11
      0x13, 0x00, 0x1E,  //   Server Keep Alive 30 s
      0x21, 0x00, 0x14,  //   Receive Maximum 20
      0x22, 0x00, 0x08,  //   Topic Alias Maximum 8
      0x2A, 0x00,        //   Shared Subscription Available 0
  });
  v5::Connack c;
  c.session_present = true;
  c.properties.server_keep_alive = 30;
  c.properties.receive_maximum = 20;
  c.properties.topic_alias_maximum = 8;
  c.properties.shared_subscription_available = 0;
  check_table(wire, c);
}

TEST_CASE("v5 CONNACK, refused with a reason string") {
  const auto wire = bytes({
      0x20, 0x09,                      // CONNACK, remaining length 9
      0x00,                            // no session
      0x86,                            // Bad User Name or Password
      0x06,                            // property length 6
      0x1F, 0x00, 0x03, 'b', 'a', 'd'  //   Reason String "bad"
  });
  v5::Connack c;
  c.reason = v5::ReasonCode::bad_user_name_or_password;
  c.properties.reason_string = "bad";
  check_table(wire, c);
}

TEST_CASE("v5 CONNACK malformed forms") {
  CHECK(decode_error(bytes({0x20, 0x03, 0x02, 0x00, 0x00})) ==
        error_name(Error::bad_connect_flags));  // reserved ack flag
  CHECK(decode_error(bytes({0x20, 0x03, 0x01, 0x80, 0x00})) ==
        error_name(Error::bad_connect_flags));  // session present on a refusal
  CHECK(decode_error(bytes({0x20, 0x03, 0x00, 0x04, 0x00})) ==
        error_name(Error::bad_reason_code));  // Disconnect with Will is not for CONNACK
  CHECK(decode_error(bytes({0x20, 0x03, 0x00, 0x8B, 0x00})) ==
        error_name(Error::bad_reason_code));  // Server shutting down is DISCONNECT's
  CHECK(decode_error(bytes({0x20, 0x02, 0x00, 0x00})) ==
        error_name(Error::truncated));  // no short form: the property length is required
  CHECK(decode_error(bytes({0x20, 0x04, 0x00, 0x00, 0x02, 0x01})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0x21, 0x03, 0x00, 0x00, 0x00})) == error_name(Error::bad_fixed_header_flags));
  // A property only a client sends.
  CHECK(decode_error(bytes({0x20, 0x05, 0x00, 0x00, 0x02, 0x17, 0x01})) == error_name(Error::bad_property));
}
