// CONNECT (MQTT 3.1.1 section 3.1, MQTT 3.1 "MQIsdp"): byte tables, then every malformed form
// the specification names.
#include "codec_test.hpp"

using namespace codec_test;
using broker::codec::Connect;
using broker::codec::Will;

namespace {

// A 3.1.1 CONNECT using every optional field, reused below as the base of malformed variants.
const std::string full_connect = bytes({
    0x10,                              // CONNECT, flags 0000
    0x1E,                              // remaining length 30
    0x00, 0x04, 'M',  'Q',  'T', 'T',  // protocol name
    0x04,                              // protocol level 4 (3.1.1)
    0xEE,                              // user, password, will retain, will QoS 1, will, clean session
    0x00, 0x3C,                        // keepalive 60 s
    0x00, 0x03, 'c',  'i',  'd',       // client id
    0x00, 0x02, '/',  's',             // will topic
    0x00, 0x02, '-',  '2',             // will payload
    0x00, 0x01, 'u',                   // user name
    0x00, 0x02, 0x00, 0xFF,            // password: binary, a zero byte is allowed here
});

Connect full_connect_value() {
  Connect c;
  c.protocol_level = 4;
  c.clean_session = true;
  c.keepalive = 60;
  c.client_id = "cid";
  c.will = Will{"/s", "-2", 1, true};
  c.username = "u";
  c.password = std::string("\x00\xFF", 2);
  return c;
}

// full_connect with its connect flags byte replaced.
std::string with_flags(int flags) {
  auto wire = full_connect;
  wire[9] = static_cast<char>(flags);
  return wire;
}

}  // namespace

TEST_CASE("CONNECT 3.1.1 with will, user name and password") { check_table(full_connect, full_connect_value()); }

TEST_CASE("CONNECT 3.1.1, the minimal form a lock sends") {
  const auto wire = bytes({
      0x10,                            // CONNECT
      0x10,                            // remaining length 16
      0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
      0x04,                            // level 4
      0x00,                            // clean session 0, nothing else
      0x01, 0x2C,                      // keepalive 300 s
      0x00, 0x04, 'l', 'o', 'c', 'k',  // client id
  });
  Connect c;
  c.clean_session = false;
  c.keepalive = 300;
  c.client_id = "lock";
  check_table(wire, c);
}

TEST_CASE("CONNECT 3.1 (MQIsdp, level 3) with user name and password") {
  const auto wire = bytes({
      0x10,                                      // CONNECT
      0x18,                                      // remaining length 24
      0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',  // protocol name of MQTT 3.1
      0x03,                                      // level 3
      0xC2,                                      // user, password, clean session
      0x00, 0x0A,                                // keepalive 10 s
      0x00, 0x02, 'c', '1',                      // client id
      0x00, 0x02, 'u', '1',                      // user name
      0x00, 0x02, 'p', '1',                      // password
  });
  Connect c;
  c.protocol_level = 3;
  c.keepalive = 10;
  c.client_id = "c1";
  c.username = "u1";
  c.password = "p1";
  check_table(wire, c, 3);
  // The level the connection is at does not matter to CONNECT: it declares its own.
  CHECK(decode_as<Connect>(wire, 4) == c);
}

TEST_CASE("CONNECT with an empty client id and a user name without password decodes") {
  // Whether an empty id is acceptable depends on clean session: the broker decides (return
  // code 2), the codec only reads it.
  const auto wire = bytes({
      0x10, 0x0F,                      // CONNECT, remaining length 15
      0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
      0x04,                            // level 4
      0x80,                            // user name only, clean session 0
      0x00, 0x00,                      // keepalive 0: disabled
      0x00, 0x00,                      // client id ""
      0x00, 0x01, 'u',                 // user name
  });
  Connect c;
  c.clean_session = false;
  c.keepalive = 0;
  c.username = "u";
  check_table(wire, c);
}

TEST_CASE("CONNECT with a will at QoS 2 and no retain") {
  auto c = full_connect_value();
  c.will->qos = 2;
  c.will->retain = false;
  check_table(with_flags(0xD6), c);  // user, password, will QoS 2, will, clean session
}

TEST_CASE("CONNECT with a bad protocol name") {
  for (const char* name : {"MQTX", "mqtt", "MQT\x01", "MQIsd"}) {
    CAPTURE(name);
    auto body = body_of(full_connect);
    body.replace(2, 4, name, 4);
    CHECK(decode_error(with_body(0x10, body)) == error_name(codec::Error::bad_protocol_name));
  }
  // A protocol name that is not even UTF-8 fails as a string first.
  auto body = body_of(full_connect);
  body[2] = static_cast<char>(0xC0);
  CHECK(decode_error(with_body(0x10, body)) == error_name(codec::Error::bad_utf8));
}

TEST_CASE("CONNECT whose protocol name and level disagree") {
  auto mqtt_level = [](int level) {
    auto wire = full_connect;
    wire[8] = static_cast<char>(level);
    return wire;
  };
  CHECK(decode_error(mqtt_level(3)) == error_name(codec::Error::bad_protocol_level));
  CHECK(decode_error(mqtt_level(5)) == error_name(codec::Error::bad_protocol_level));
  CHECK(decode_error(mqtt_level(0)) == error_name(codec::Error::bad_protocol_level));
  const auto mqisdp_level4 = bytes({
      0x10, 0x0E,                                // CONNECT, remaining length 14
      0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',  // MQTT 3.1's name
      0x04,                                      // with 3.1.1's level
      0x02, 0x00, 0x0A,                          // clean session, keepalive 10
      0x00, 0x00,                                // client id ""
  });
  CHECK(decode_error(mqisdp_level4) == error_name(codec::Error::bad_protocol_level));
}

TEST_CASE("CONNECT flags the specification forbids") {
  using codec::Error;
  // [MQTT-3.1.2-3] the reserved flag must be 0.
  CHECK(decode_error(with_flags(0xEF)) == error_name(Error::bad_connect_flags));
  // [MQTT-3.1.2-13], [MQTT-3.1.2-15]: without a will, will QoS and will retain must be 0.
  const auto no_will = bytes({
      0x10, 0x0C,                      // CONNECT, remaining length 12
      0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
      0x04,                            // level 4
      0x00,                            // flags: replaced below
      0x00, 0x0A,                      // keepalive
      0x00, 0x00,                      // client id ""
  });
  auto flags = [&](int f) {
    auto wire = no_will;
    wire[9] = static_cast<char>(f);
    return wire;
  };
  CHECK(decode_as<Connect>(flags(0x02)).clean_session);
  CHECK(decode_error(flags(0x0A)) == error_name(Error::bad_connect_flags));  // will QoS 1
  CHECK(decode_error(flags(0x12)) == error_name(Error::bad_connect_flags));  // will QoS 2
  CHECK(decode_error(flags(0x22)) == error_name(Error::bad_connect_flags));  // will retain
  // [MQTT-3.1.2-14] will QoS 3.
  CHECK(decode_error(with_flags(0xFE)) == error_name(Error::bad_qos));
  // [MQTT-3.1.2-22] a password without a user name.
  CHECK(decode_error(flags(0x42)) == error_name(Error::bad_connect_flags));
}

TEST_CASE("CONNECT flags promising fields that are missing") {
  using codec::Error;
  const auto bare = bytes({
      0x10, 0x0E,                      // CONNECT, remaining length 14
      0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
      0x04,                            // level 4
      0x00,                            // flags: replaced below
      0x00, 0x0A,                      // keepalive
      0x00, 0x02, 'i', 'd',            // client id, then nothing
  });
  for (int f : {0x06, 0x82, 0xC2, 0x2E}) {  // will; user; user+password; will QoS 1 retain
    CAPTURE(f);
    auto wire = bare;
    wire[9] = static_cast<char>(f);
    CHECK(decode_error(wire) == error_name(Error::truncated));
  }
}

TEST_CASE("CONNECT cut short anywhere is truncated, one byte more is trailing") {
  const auto body = body_of(full_connect);
  for (std::size_t n = 0; n < body.size(); ++n) {
    CAPTURE(n);
    CHECK(decode_error(with_body(0x10, body.substr(0, n))) == error_name(codec::Error::truncated));
  }
  CHECK(decode_error(with_body(0x10, body + 'x')) == error_name(codec::Error::trailing_bytes));
}

TEST_CASE("CONNECT strings must be valid UTF-8 and the will topic a valid name") {
  using codec::Error;
  auto replace = [](std::size_t at, std::string_view what) {
    auto wire = full_connect;
    wire.replace(at, what.size(), what);
    return wire;
  };
  CHECK(decode_error(replace(14, bytes({0xC0, 0x80}))) == error_name(Error::bad_utf8));  // client id
  CHECK(decode_error(replace(14, bytes({0x00}))) == error_name(Error::bad_utf8));        // U+0000
  CHECK(decode_error(replace(27, bytes({0xED}))) == error_name(Error::bad_utf8));        // user name
  CHECK(decode_error(replace(19, "/#")) == error_name(Error::bad_topic));                // will topic wildcard
  CHECK(decode_error(replace(19, "+/")) == error_name(Error::bad_topic));
  // Will payload and password are binary: any bytes.
  auto binary = replace(23, bytes({0xC0, 0x00}));
  CHECK(decode_as<Connect>(binary).will->payload == std::string("\xC0\x00", 2));
  // An empty will topic is not a topic name [MQTT-4.7.3-1].
  const auto empty_will_topic = bytes({
      0x10, 0x10,                      // CONNECT, remaining length 16
      0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
      0x04,                            // level 4
      0x06,                            // will, clean session
      0x00, 0x0A,                      // keepalive
      0x00, 0x00,                      // client id ""
      0x00, 0x00,                      // will topic ""
      0x00, 0x00,                      // will payload ""
  });
  CHECK(decode_error(empty_will_topic) == error_name(Error::bad_topic));
}

TEST_CASE("CONNECT with fixed header flags set") {
  for (int flags = 1; flags < 16; ++flags) {
    CAPTURE(flags);
    auto wire = full_connect;
    wire[0] = static_cast<char>(0x10 | flags);
    CHECK(decode_error(wire) == error_name(codec::Error::bad_fixed_header_flags));
  }
}
