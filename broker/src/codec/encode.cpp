#include "broker/codec/encode.hpp"

#include <stdexcept>

#include "broker/codec/framer.hpp"
#include "wire.hpp"

namespace broker::codec {
namespace {

using wire::Writer;

std::uint8_t first_byte(PacketType t, std::uint8_t flags = 0) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(t) << 4 | flags);
}

void encode_connect(const Connect& c, Writer& w) {
  bool v31 = c.protocol_level == protocol_v31;
  std::string_view name = v31 ? "MQIsdp" : "MQTT";
  std::size_t len = 2 + name.size() + 1 + 1 + 2 + 2 + c.client_id.size();
  std::uint8_t flags = c.clean_session ? 0x02 : 0;
  if (c.will) {
    len += 2 + c.will->topic.size() + 2 + c.will->payload.size();
    flags |= 0x04 | static_cast<std::uint8_t>(c.will->qos << 3) | (c.will->retain ? 0x20 : 0);
  }
  if (c.username) len += 2 + c.username->size(), flags |= 0x80;
  if (c.password) len += 2 + c.password->size(), flags |= 0x40;
  w.header(first_byte(PacketType::connect), len);
  w.field(name);
  w.u8(c.protocol_level);
  w.u8(flags);
  w.u16(c.keepalive);
  w.field(c.client_id);
  if (c.will) {
    w.field(c.will->topic);
    w.field(c.will->payload);
  }
  if (c.username) w.field(*c.username);
  if (c.password) w.field(*c.password);
}

void encode_publish(const Publish& p, Writer& w) {
  std::size_t len = 2 + p.topic.size() + (p.qos ? 2 : 0) + p.payload.size();
  std::uint8_t flags = static_cast<std::uint8_t>((p.dup ? 0x08 : 0) | p.qos << 1 | (p.retain ? 1 : 0));
  w.header(first_byte(PacketType::publish, flags), len);
  w.field(p.topic);
  if (p.qos) w.u16(p.packet_id);
  w.raw(p.payload);
}

}  // namespace

std::size_t encode_remaining_length(std::size_t n, std::uint8_t* out) {
  std::size_t i = 0;
  do {
    auto byte = static_cast<std::uint8_t>(n % 128);
    n /= 128;
    if (n > 0) byte |= 0x80;
    out[i++] = byte;
  } while (n > 0 && i < 4);
  return i;
}

PublishPrefix publish_prefix(std::uint8_t qos, bool retain, bool dup, std::size_t topic_size,
                             std::size_t payload_size) {
  PublishPrefix p;
  std::size_t remaining = 2 + topic_size + (qos ? 2 : 0) + payload_size;
  if (remaining > max_remaining_length || topic_size > 0xFFFF) throw std::length_error("MQTT packet too large");
  p.bytes[0] =
      first_byte(PacketType::publish, static_cast<std::uint8_t>((dup ? 0x08 : 0) | qos << 1 | (retain ? 1 : 0)));
  auto n = encode_remaining_length(remaining, p.bytes + 1);
  p.bytes[1 + n] = static_cast<std::uint8_t>(topic_size >> 8);
  p.bytes[2 + n] = static_cast<std::uint8_t>(topic_size & 0xFF);
  p.size = static_cast<std::uint8_t>(3 + n);
  return p;
}

void encode(const Packet& packet, std::string& out) {
  Writer w(out);
  struct Visitor {
    Writer& w;
    void operator()(const Connect& c) const { encode_connect(c, w); }
    void operator()(const Connack& c) const {
      w.header(first_byte(PacketType::connack), 2);
      w.u8(c.session_present ? 1 : 0);
      w.u8(static_cast<std::uint8_t>(c.code));
    }
    void operator()(const Publish& p) const { encode_publish(p, w); }
    void operator()(const Ack& a) const {
      w.header(first_byte(a.type, a.type == PacketType::pubrel ? 0x02 : 0), 2);
      w.u16(a.packet_id);
    }
    void operator()(const Subscribe& s) const {
      std::size_t len = 2;
      for (auto& t : s.topics) len += 2 + t.filter.size() + 1;
      w.header(first_byte(PacketType::subscribe, 0x02), len);
      w.u16(s.packet_id);
      for (auto& t : s.topics) {
        w.field(t.filter);
        w.u8(t.qos);
      }
    }
    void operator()(const Suback& s) const {
      w.header(first_byte(PacketType::suback), 2 + s.codes.size());
      w.u16(s.packet_id);
      for (auto c : s.codes) w.u8(c);
    }
    void operator()(const Unsubscribe& u) const {
      std::size_t len = 2;
      for (auto& f : u.filters) len += 2 + f.size();
      w.header(first_byte(PacketType::unsubscribe, 0x02), len);
      w.u16(u.packet_id);
      for (auto& f : u.filters) w.field(f);
    }
    void operator()(const Pingreq&) const { w.header(first_byte(PacketType::pingreq), 0); }
    void operator()(const Pingresp&) const { w.header(first_byte(PacketType::pingresp), 0); }
    void operator()(const Disconnect&) const { w.header(first_byte(PacketType::disconnect), 0); }
  };
  std::visit(Visitor{w}, packet);
}

std::string encode(const Packet& p) {
  std::string out;
  encode(p, out);
  return out;
}

}  // namespace broker::codec
