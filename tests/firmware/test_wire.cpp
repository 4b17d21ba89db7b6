// The lock's fixed-buffer MQTT packets against Sakura's codec: what the lock encodes must decode
// there to the intended values, and what the broker encodes must decode here.
#include <doctest/doctest.h>

#include <string>

#include "broker/codec/decode.hpp"
#include "broker/codec/encode.hpp"
#include "firmware/mqtt_wire.hpp"

namespace codec = broker::codec;
namespace wire = firmware::wire;

namespace {

codec::Packet decoded(const std::uint8_t* bytes, std::size_t n) {
  auto r = codec::decode(std::string_view(reinterpret_cast<const char*>(bytes), n));
  REQUIRE_MESSAGE(r.ok(), codec::to_string(r.error));
  return r.packet;
}

}  // namespace

TEST_CASE("CONNECT carries credentials, keepalive and the QoS 1 non-retained will") {
  std::uint8_t buf[256];
  wire::ConnectFields f;
  f.client_id = "12345678901";
  f.username = "12345678901";
  f.password = "pw";
  f.will_topic = "/12345678901/statu";
  f.will_payload = "-2";
  f.will_qos = 1;
  f.keepalive_s = 60;
  auto n = wire::encode_connect(buf, sizeof buf, f);
  REQUIRE(n > 0);
  // Fixed header, then "MQTT" level 4, flags: user, password, will QoS 1, will, clean session.
  CHECK(buf[0] == 0x10);
  CHECK(buf[8] == 4);
  CHECK(buf[9] == (0x80 | 0x40 | 0x08 | 0x04 | 0x02));
  auto c = std::get<codec::Connect>(decoded(buf, n));
  CHECK(c.protocol_level == 4);
  CHECK(c.clean_session);
  CHECK(c.keepalive == 60);
  CHECK(c.client_id == "12345678901");
  CHECK(c.username == std::optional<std::string>("12345678901"));
  CHECK(c.password == std::optional<std::string>("pw"));
  REQUIRE(c.will);
  CHECK(c.will->topic == "/12345678901/statu");
  CHECK(c.will->payload == "-2");
  CHECK(c.will->qos == 1);
  CHECK_FALSE(c.will->retain);

  CHECK(wire::encode_connect(buf, n - 1, f) == 0);  // one byte short: refused, not truncated
}

TEST_CASE("CONNECT can speak MQTT 3.1, as older locks do") {
  std::uint8_t buf[128];
  wire::ConnectFields f;
  f.client_id = "12345678901";
  f.protocol_level = 3;
  auto n = wire::encode_connect(buf, sizeof buf, f);
  REQUIRE(n > 0);
  CHECK(std::string(reinterpret_cast<const char*>(buf) + 4, 6) == "MQIsdp");
  auto r = codec::decode(std::string_view(reinterpret_cast<const char*>(buf), n), codec::protocol_v31);
  REQUIRE(r.ok());
  auto c = std::get<codec::Connect>(r.packet);
  CHECK(c.protocol_level == 3);
  CHECK(c.client_id == "12345678901");
}

TEST_CASE("PUBLISH, SUBSCRIBE, acks and pings decode as Sakura reads them") {
  std::uint8_t buf[300];
  auto n = wire::encode_publish(buf, sizeof buf, "/l/statu", "1", 1, 42);
  auto p = std::get<codec::Publish>(decoded(buf, n));
  CHECK(p.topic == "/l/statu");
  CHECK(p.payload == "1");
  CHECK(p.qos == 1);
  CHECK(p.packet_id == 42);
  CHECK_FALSE(p.retain);

  // A payload long enough for a two-byte remaining length.
  std::string big(200, 'x');
  n = wire::encode_publish(buf, sizeof buf, "/l/fw", big, 0, 0);
  CHECK(buf[1] == ((2 + 5 + 200) % 128 | 0x80));
  CHECK(std::get<codec::Publish>(decoded(buf, n)).payload == big);

  std::string_view filters[] = {"/l/call", "/l/ota"};
  n = wire::encode_subscribe(buf, sizeof buf, 9, filters, 2, 1);
  auto s = std::get<codec::Subscribe>(decoded(buf, n));
  CHECK(s.packet_id == 9);
  REQUIRE(s.topics.size() == 2);
  CHECK(s.topics[1].filter == "/l/ota");
  CHECK(s.topics[1].qos == 1);

  for (auto t : {wire::puback, wire::pubrec, wire::pubrel, wire::pubcomp}) {
    n = wire::encode_ack(buf, sizeof buf, t, 513);
    auto a = std::get<codec::Ack>(decoded(buf, n));
    CHECK(static_cast<int>(a.type) == t);
    CHECK(a.packet_id == 513);
  }
  n = wire::encode_empty(buf, sizeof buf, wire::pingreq);
  CHECK(std::holds_alternative<codec::Pingreq>(decoded(buf, n)));
  n = wire::encode_empty(buf, sizeof buf, wire::disconnect);
  CHECK(std::holds_alternative<codec::Disconnect>(decoded(buf, n)));
}

TEST_CASE("broker packets encoded by Sakura decode in the lock") {
  auto bytes = [](const codec::Packet& p) { return codec::encode(p); };
  auto body = [](const std::string& s, wire::Header& h) {
    REQUIRE(wire::parse_header(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), h) == wire::HeaderStatus::ok);
    REQUIRE(h.total() == s.size());
    return reinterpret_cast<const std::uint8_t*>(s.data()) + h.size;
  };
  wire::Header h;

  codec::Connack ack;
  ack.code = codec::ConnectReturn::not_authorized;
  auto s = bytes(ack);
  std::uint8_t code = 0;
  auto b = body(s, h);
  REQUIRE(h.type() == wire::connack);
  REQUIRE(wire::decode_connack(h.flags(), b, h.remaining, code));
  CHECK(code == 5);

  codec::Publish pub;
  pub.topic = "/12345678901/call";
  pub.payload = "unlock";
  pub.qos = 2;
  pub.packet_id = 77;
  pub.retain = true;
  s = bytes(pub);
  b = body(s, h);
  wire::InPublish in;
  REQUIRE(wire::decode_publish(h.flags(), b, h.remaining, in));
  CHECK(in.topic == "/12345678901/call");
  CHECK(in.payload == "unlock");
  CHECK(in.qos == 2);
  CHECK(in.retain);
  CHECK(in.packet_id == 77);

  codec::Suback sa;
  sa.packet_id = 3;
  sa.codes = {1, 0x80};
  s = bytes(sa);
  b = body(s, h);
  std::uint16_t id = 0;
  const std::uint8_t* codes = nullptr;
  std::size_t count = 0;
  REQUIRE(wire::decode_suback(h.flags(), b, h.remaining, id, codes, count));
  CHECK(id == 3);
  REQUIRE(count == 2);
  CHECK(codes[1] == 0x80);
}

TEST_CASE("malformed broker packets are refused by the lock's decoders") {
  std::uint16_t id;
  std::uint8_t code;
  wire::InPublish in;
  const std::uint8_t connack_bad_flags[] = {0x02, 0x00};
  CHECK_FALSE(wire::decode_connack(0, connack_bad_flags, 2, code));
  CHECK_FALSE(wire::decode_connack(1, connack_bad_flags + 1, 2, code));
  const std::uint8_t short_topic[] = {0x00, 0x09, 'a'};  // topic length past the end
  CHECK_FALSE(wire::decode_publish(0, short_topic, sizeof short_topic, in));
  const std::uint8_t qos1_no_id[] = {0x00, 0x01, 'a'};
  CHECK_FALSE(wire::decode_publish(0x02, qos1_no_id, sizeof qos1_no_id, in));
  const std::uint8_t id_zero[] = {0x00, 0x01, 'a', 0x00, 0x00};
  CHECK_FALSE(wire::decode_publish(0x02, id_zero, sizeof id_zero, in));
  CHECK_FALSE(wire::decode_publish(0x06, id_zero, sizeof id_zero, in));  // QoS 3
  const std::uint8_t ack[] = {0x00, 0x01};
  CHECK_FALSE(wire::decode_ack(wire::pubrel, 0, ack, 2, id));  // PUBREL needs flags 2
  CHECK_FALSE(wire::decode_ack(wire::puback, 0, ack, 1, id));
  const std::uint8_t suback_bad[] = {0x00, 0x01, 0x03};
  const std::uint8_t* codes;
  std::size_t count;
  CHECK_FALSE(wire::decode_suback(0, suback_bad, 3, id, codes, count));

  wire::Header h;
  const std::uint8_t five_bytes[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01};
  CHECK(wire::parse_header(five_bytes, sizeof five_bytes, h) == wire::HeaderStatus::malformed);
  const std::uint8_t non_minimal[] = {0x30, 0x80, 0x00};
  CHECK(wire::parse_header(non_minimal, sizeof non_minimal, h) == wire::HeaderStatus::malformed);
  const std::uint8_t partial[] = {0x30, 0x80};
  CHECK(wire::parse_header(partial, sizeof partial, h) == wire::HeaderStatus::need_more);
}
