// PUBLISH (MQTT 3.1.1 section 3.3): byte tables at each QoS, malformed forms, and the fan-out
// path publish_prefix() that must produce the same bytes as encode().
#include "codec_test.hpp"

using namespace codec_test;
using broker::codec::Publish;

TEST_CASE("PUBLISH QoS 0, the lock's status report") {
  const auto wire = bytes({
      0x30,                                                        // PUBLISH, DUP 0, QoS 0, retain 0
      0x15,                                                        // remaining length 21
      0x00, 0x12,                                                  // topic length 18
      '/', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '1',  // "/12345678901": the lockno
      '/', 's', 't', 'a', 't', 'u',                                // "/statu"
      // no packet id at QoS 0
      '1',  // payload "1": locked
  });
  check_table(wire, Publish{false, 0, false, "/12345678901/statu", 0, "1"});
}

TEST_CASE("PUBLISH QoS 0 retained") {
  const auto wire = bytes({
      0x31,                          // PUBLISH, DUP 0, QoS 0, retain 1
      0x0A,                          // remaining length 10
      0x00, 0x06,                    // topic length 6
      '/', 'l', '/', 's', 't', 'a',  // topic "/l/sta"
      '-', '2',                      // payload "-2"
  });
  check_table(wire, Publish{false, 0, true, "/l/sta", 0, "-2"});
}

TEST_CASE("PUBLISH QoS 1") {
  const auto wire = bytes({
      0x32,                // PUBLISH, DUP 0, QoS 1, retain 0
      0x0B,                // remaining length 11
      0x00, 0x04,          // topic length 4
      '/', 'l', '/', 'm',  // topic "/l/m"
      0x12, 0x34,          // packet id 0x1234
      'o', 'p', 'e',       // payload "ope"
  });
  check_table(wire, Publish{false, 1, false, "/l/m", 0x1234, "ope"});
}

TEST_CASE("PUBLISH QoS 2, DUP and retain, binary payload") {
  const auto wire = bytes({
      0x3D,                    // PUBLISH, DUP 1, QoS 2, retain 1
      0x0A,                    // remaining length 10
      0x00, 0x02,              // topic length 2
      '/', 'f',                // topic "/f"
      0xFF, 0xFE,              // packet id 0xFFFE
      0x00, 0xFF, 0xC0, 0x80,  // payload: binary, not UTF-8, zero bytes allowed
  });
  check_table(wire, Publish{true, 2, true, "/f", 0xFFFE, std::string("\x00\xFF\xC0\x80", 4)});
}

TEST_CASE("PUBLISH with an empty payload and a UTF-8 topic") {
  const auto wire = bytes({
      0x30,                        // PUBLISH, QoS 0
      0x07,                        // remaining length 7
      0x00, 0x05,                  // topic length 5
      '/', 0xE9, 0x94, 0x81, '/',  // topic "/锁/" (U+9501 in three bytes)
                                   // empty payload: a retained-message delete when retain is set
  });
  check_table(wire, Publish{false, 0, false, "/\xE9\x94\x81/", 0, ""});
}

TEST_CASE("PUBLISH with multi-byte remaining lengths") {
  for (std::size_t payload_size : {121u, 122u, 16377u, 16378u, 70000u}) {
    CAPTURE(payload_size);
    Publish p{false, 1, false, "/t", 9, std::string(payload_size, 'x')};
    auto wire = codec::encode(p);
    std::size_t remaining = 2 + 2 + 2 + payload_size;
    std::size_t length_bytes = remaining < 128 ? 1 : remaining < 16384 ? 2 : 3;
    CHECK(wire.size() == 1 + length_bytes + remaining);
    CHECK(decode_as<Publish>(wire) == p);
  }
}

TEST_CASE("PUBLISH QoS 3 is malformed") {
  CHECK(decode_error(bytes({0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01})) == error_name(codec::Error::bad_qos));
  CHECK(decode_error(bytes({0x3F, 0x05, 0x00, 0x01, 'a', 0x00, 0x01})) == error_name(codec::Error::bad_qos));
}

TEST_CASE("PUBLISH DUP at QoS 0: malformed in 3.1.1, tolerated from MQTT 3.1 clients") {
  const auto wire = bytes({
      0x38,             // PUBLISH, DUP 1, QoS 0
      0x04,             // remaining length 4
      0x00, 0x01, 'a',  // topic "a"
      'x',              // payload
  });
  // [MQTT-3.3.1-2]
  CHECK(decode_error(wire, codec::protocol_v311) == error_name(codec::Error::bad_fixed_header_flags));
  auto p = decode_as<Publish>(wire, codec::protocol_v31);
  CHECK(p.dup);
  CHECK(p.qos == 0);
}

TEST_CASE("PUBLISH with packet id 0 is malformed at QoS 1 and 2") {
  // [MQTT-2.3.1-1]
  CHECK(decode_error(bytes({0x32, 0x05, 0x00, 0x01, 'a', 0x00, 0x00})) == error_name(codec::Error::zero_packet_id));
  CHECK(decode_error(bytes({0x34, 0x05, 0x00, 0x01, 'a', 0x00, 0x00})) == error_name(codec::Error::zero_packet_id));
}

TEST_CASE("PUBLISH topic names with wildcards, empty, or not UTF-8") {
  using codec::Error;
  for (std::string topic : {"#", "+", "/l/#", "/+/m", "a+", "a#b"}) {
    CAPTURE(topic);
    std::string body = bytes({0x00, static_cast<int>(topic.size())}) + topic + "p";
    CHECK(decode_error(with_body(0x30, body)) == error_name(Error::bad_topic));
  }
  // [MQTT-4.7.3-1] a topic name is at least one character.
  CHECK(decode_error(bytes({0x30, 0x03, 0x00, 0x00, 'p'})) == error_name(Error::bad_topic));
  CHECK(decode_error(bytes({0x30, 0x04, 0x00, 0x01, 0x00, 'p'})) == error_name(Error::bad_utf8));
  CHECK(decode_error(bytes({0x30, 0x05, 0x00, 0x02, 0xED, 0xA0, 'p'})) == error_name(Error::bad_utf8));
}

TEST_CASE("PUBLISH cut short") {
  using codec::Error;
  CHECK(decode_error(bytes({0x30, 0x00})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0x30, 0x01, 0x00})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0x30, 0x03, 0x00, 0x05, 'a'})) == error_name(Error::truncated));
  // QoS 1 needs a packet id after the topic.
  CHECK(decode_error(bytes({0x32, 0x03, 0x00, 0x01, 'a'})) == error_name(Error::truncated));
  CHECK(decode_error(bytes({0x32, 0x04, 0x00, 0x01, 'a', 0x01})) == error_name(Error::truncated));
  // The remaining length says more than the bytes hold.
  CHECK(decode_error(bytes({0x30, 0x05, 0x00, 0x01, 'a'})) == error_name(Error::truncated));
  // ...or less: the rest is the next packet, not part of this one.
  CHECK(decode_error(bytes({0x30, 0x03, 0x00, 0x01, 'a', 'p'})) == error_name(Error::trailing_bytes));
}

TEST_CASE("publish_prefix + topic + packet id + payload equals encode(Publish)") {
  const std::string topics[] = {"/", "/12345678901/call", std::string(300, 't')};
  // Sizes chosen so that the remaining length crosses each boundary of its 1-4 byte encoding.
  const std::size_t payloads[] = {0, 1, 121, 122, 123, 124, 125, 126, 16000, 16379, 16380, 2097140, 2097150, 2097151};
  for (auto& topic : topics) {
    for (auto payload_size : payloads) {
      for (std::uint8_t qos = 0; qos <= 2; ++qos) {
        for (int flags = 0; flags < 4; ++flags) {
          bool retain = flags & 1, dup = flags & 2;
          CAPTURE(topic.size());
          CAPTURE(payload_size);
          CAPTURE(int(qos));
          CAPTURE(flags);
          Publish p{dup, qos, retain, topic, 0xA55A, std::string(payload_size, 'p')};
          auto prefix = codec::publish_prefix(qos, retain, dup, topic.size(), payload_size);
          std::string fanout(reinterpret_cast<const char*>(prefix.bytes), prefix.size);
          fanout += topic;
          if (qos > 0) fanout += bytes({0xA5, 0x5A});
          fanout += p.payload;
          auto encoded = codec::encode(p);
          REQUIRE(fanout.size() == encoded.size());
          CHECK(hex(fanout.substr(0, 8)) == hex(encoded.substr(0, 8)));
          CHECK(fanout == encoded);
        }
      }
    }
  }
}

TEST_CASE("publish_prefix refuses what the wire cannot carry") {
  CHECK_THROWS_AS(codec::publish_prefix(0, false, false, 65536, 0), std::length_error);
  CHECK_THROWS_AS(codec::publish_prefix(1, false, false, 10, codec::max_remaining_length), std::length_error);
  CHECK(codec::publish_prefix(0, false, false, 10, codec::max_remaining_length - 12).size == 7);
}
