// MQTT 5.0 CONNECT (section 3.1) and CONNACK (section 3.2).
#include "broker/topic.hpp"
#include "detail.hpp"

namespace broker::codec::v5::detail {

DecodeResult decode_connect(Reader& r, const Options& o) {
  Connect c;
  auto name = r.utf8();
  auto level = r.u8();
  if (r.failed()) return failure(r.error());
  if (name != "MQTT") return failure(Error::bad_protocol_name);
  if (level != protocol_v5) return failure(Error::bad_protocol_level);
  auto flags = r.u8();
  c.keepalive = r.u16();
  if (r.failed()) return failure(r.error());
  wire::ConnectFlags cf(flags);
  c.clean_start = cf.clean;
  // Unlike 3.1.1, a password may come without a user name (3.1.2.9).
  if (auto e = cf.error(); e != Error::none) return failure(e);
  if (auto e = read_properties(r, PropertyContext::connect, o, c.properties); e != Error::none) return failure(e);
  c.client_id = std::string(r.utf8());
  if (cf.will) {
    Will w;
    if (auto e = read_properties(r, PropertyContext::will, o, w.properties); e != Error::none) return failure(e);
    w.topic = std::string(r.utf8());
    w.payload = std::string(r.binary());
    w.qos = cf.will_qos;
    w.retain = cf.will_retain;
    if (!r.failed() && !valid_topic_name(w.topic)) return failure(Error::bad_topic);
    c.will = std::move(w);
  }
  if (cf.user) c.username = std::string(r.utf8());
  if (cf.password) c.password = std::string(r.binary());
  return finish(r, std::move(c));
}

void encode_connect(const Connect& c, Writer& w) {
  std::string body;
  Writer b(body);
  b.field("MQTT");
  b.u8(protocol_v5);
  std::uint8_t flags = c.clean_start ? 0x02 : 0;
  if (c.will) flags |= 0x04 | static_cast<std::uint8_t>(c.will->qos << 3) | (c.will->retain ? 0x20 : 0);
  if (c.username) flags |= 0x80;
  if (c.password) flags |= 0x40;
  b.u8(flags);
  b.u16(c.keepalive);
  write_properties(b, c.properties, PropertyContext::connect);
  b.field(c.client_id);
  if (c.will) {
    write_properties(b, c.will->properties, PropertyContext::will);
    b.field(c.will->topic);
    b.field(c.will->payload);
  }
  if (c.username) b.field(*c.username);
  if (c.password) b.field(*c.password);
  write_packet(w, first_byte(PacketType::connect), body);
}

DecodeResult decode_connack(Reader& r, const Options& o) {
  Connack c;
  auto ack_flags = r.u8();
  auto code = static_cast<ReasonCode>(r.u8());
  if (r.failed()) return failure(r.error());
  if (ack_flags & 0xFE) return failure(Error::bad_connect_flags);  // reserved [MQTT-3.2.2-1]
  if (!reason_allowed(code, PacketType::connack)) return failure(Error::bad_reason_code);
  c.session_present = ack_flags & 0x01;
  // A refusal never has a session [MQTT-3.2.2-6].
  if (c.session_present && code != ReasonCode::success) return failure(Error::bad_connect_flags);
  c.reason = code;
  if (auto e = read_properties(r, PropertyContext::connack, o, c.properties); e != Error::none) return failure(e);
  return finish(r, std::move(c));
}

void encode_connack(const Connack& c, Writer& w) {
  if (!reason_allowed(c.reason, PacketType::connack)) throw std::invalid_argument("reason code not allowed in CONNACK");
  std::string body;
  Writer b(body);
  b.u8(c.session_present ? 1 : 0);
  b.u8(static_cast<std::uint8_t>(c.reason));
  write_properties(b, c.properties, PropertyContext::connack);
  write_packet(w, first_byte(PacketType::connack), body);
}

}  // namespace broker::codec::v5::detail
