// MQTT 5.0 PUBLISH (section 3.3) and its acknowledgements PUBACK, PUBREC, PUBREL and PUBCOMP
// (sections 3.4-3.7).
#include <stdexcept>

#include "broker/topic.hpp"
#include "detail.hpp"

namespace broker::codec::v5::detail {

DecodeResult decode_publish(Reader& r, std::uint8_t flags, const Options& o) {
  Publish p;
  p.dup = flags & 0x08;
  p.qos = (flags >> 1) & 0x03;
  p.retain = flags & 0x01;
  if (p.qos == 3) return failure(Error::bad_qos);  // [MQTT-3.3.1-4]
  auto topic = r.utf8();
  if (r.failed()) return failure(r.error());
  // Empty only when a Topic Alias stands for it, checked once the properties are read.
  if (!topic.empty() && !valid_topic_name(topic)) return failure(Error::bad_topic);
  p.topic = std::string(topic);
  if (p.qos > 0) {
    p.packet_id = r.u16();
    if (!r.failed() && p.packet_id == 0) return failure(Error::zero_packet_id);
  }
  if (r.failed()) return failure(r.error());
  if (auto e = read_properties(r, PropertyContext::publish, o, p.properties); e != Error::none) return failure(e);
  if (p.topic.empty() && !p.properties.topic_alias) return failure(Error::missing_topic);
  p.payload = std::string(r.rest());
  return finish(r, std::move(p));
}

void encode_publish(const Publish& p, Writer& w) {
  std::string body;
  Writer b(body);
  b.field(p.topic);
  if (p.qos) b.u16(p.packet_id);
  write_properties(b, p.properties, PropertyContext::publish);
  b.raw(p.payload);
  auto flags = static_cast<std::uint8_t>((p.dup ? 0x08 : 0) | p.qos << 1 | (p.retain ? 1 : 0));
  write_packet(w, first_byte(PacketType::publish, flags), body);
}

// The Reason Code may be left out when it is Success and there are no properties (Remaining
// Length 2), and the Property Length when there are none (Remaining Length 3) (3.4.2.1).
DecodeResult decode_pub_ack(Reader& r, PacketType type, const Options& o) {
  PubAck a;
  a.type = type;
  a.packet_id = r.u16();
  if (r.failed()) return failure(r.error());
  if (a.packet_id == 0) return failure(Error::zero_packet_id);
  if (r.at_end()) return finish(r, std::move(a));
  a.reason = static_cast<ReasonCode>(r.u8());
  if (!reason_allowed(a.reason, type)) return failure(Error::bad_reason_code);
  if (r.at_end()) return finish(r, std::move(a));
  if (auto e = read_properties(r, context_of(type), o, a.properties); e != Error::none) return failure(e);
  return finish(r, std::move(a));
}

void encode_pub_ack(const PubAck& a, Writer& w) {
  if (!reason_allowed(a.reason, a.type)) throw std::invalid_argument("reason code not allowed in this acknowledgement");
  std::string body;
  Writer b(body);
  b.u16(a.packet_id);
  bool properties = !a.properties.empty();
  if (a.reason != ReasonCode::success || properties) b.u8(static_cast<std::uint8_t>(a.reason));
  if (properties) write_properties(b, a.properties, context_of(a.type));
  write_packet(w, first_byte(a.type, a.type == PacketType::pubrel ? 0x02 : 0), body);
}

}  // namespace broker::codec::v5::detail
