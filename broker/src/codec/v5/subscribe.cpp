// MQTT 5.0 SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (sections 3.8-3.11).
#include <stdexcept>

#include "broker/topic.hpp"
#include "detail.hpp"

namespace broker::codec::v5::detail {

DecodeResult decode_subscribe(Reader& r, const Options& o) {
  Subscribe s;
  s.packet_id = r.u16();
  if (!r.failed() && s.packet_id == 0) return failure(Error::zero_packet_id);
  if (r.failed()) return failure(r.error());
  if (auto e = read_properties(r, PropertyContext::subscribe, o, s.properties); e != Error::none) return failure(e);
  while (!r.failed() && !r.at_end()) {
    auto filter = r.utf8();
    auto options = r.u8();
    if (r.failed()) break;
    if (!valid_topic_filter(filter)) return failure(Error::bad_topic_filter);
    // 3.8.3.1: bits 6-7 reserved (malformed) [MQTT-3.8.3-5]; QoS 3 and Retain Handling 3 are
    // Protocol Errors.
    if (options & 0xC0) return failure(Error::bad_subscription_options);
    SubscribeTopic t;
    t.filter = std::string(filter);
    t.qos = options & 0x03;
    t.no_local = options & 0x04;
    t.retain_as_published = options & 0x08;
    auto retain_handling = static_cast<std::uint8_t>((options >> 4) & 0x03);
    if (t.qos == 3 || retain_handling == 3) return failure(Error::bad_subscription_value);
    t.retain_handling = static_cast<RetainHandling>(retain_handling);
    s.topics.push_back(std::move(t));
  }
  if (!r.failed() && s.topics.empty()) return failure(Error::empty_subscription);  // [MQTT-3.8.3-2]
  return finish(r, std::move(s));
}

void encode_subscribe(const Subscribe& s, Writer& w) {
  std::string body;
  Writer b(body);
  b.u16(s.packet_id);
  write_properties(b, s.properties, PropertyContext::subscribe);
  for (auto& t : s.topics) {
    b.field(t.filter);
    b.u8(static_cast<std::uint8_t>(t.qos | (t.no_local ? 0x04 : 0) | (t.retain_as_published ? 0x08 : 0) |
                                   static_cast<std::uint8_t>(t.retain_handling) << 4));
  }
  write_packet(w, first_byte(PacketType::subscribe, 0x02), body);
}

DecodeResult decode_unsubscribe(Reader& r, const Options& o) {
  Unsubscribe u;
  u.packet_id = r.u16();
  if (!r.failed() && u.packet_id == 0) return failure(Error::zero_packet_id);
  if (r.failed()) return failure(r.error());
  if (auto e = read_properties(r, PropertyContext::unsubscribe, o, u.properties); e != Error::none) return failure(e);
  if (auto e = wire::read_unsubscribe_filters(r, u.filters); e != Error::none) return failure(e);
  return finish(r, std::move(u));
}

void encode_unsubscribe(const Unsubscribe& u, Writer& w) {
  std::string body;
  Writer b(body);
  b.u16(u.packet_id);
  write_properties(b, u.properties, PropertyContext::unsubscribe);
  for (auto& f : u.filters) b.field(f);
  write_packet(w, first_byte(PacketType::unsubscribe, 0x02), body);
}

// SUBACK and UNSUBACK share their shape: packet id, properties, one reason code per filter.
DecodeResult decode_suback(Reader& r, PacketType type, const Options& o) {
  std::uint16_t packet_id = r.u16();
  if (!r.failed() && packet_id == 0) return failure(Error::zero_packet_id);
  if (r.failed()) return failure(r.error());
  Properties properties;
  if (auto e = read_properties(r, context_of(type), o, properties); e != Error::none) return failure(e);
  std::vector<ReasonCode> reasons;
  reasons.reserve(r.left());  // one byte each: bounded by the packet
  while (!r.at_end()) {
    auto code = static_cast<ReasonCode>(r.u8());
    if (!reason_allowed(code, type)) return failure(Error::bad_reason_code);
    reasons.push_back(code);
  }
  if (reasons.empty()) return failure(Error::empty_subscription);
  if (type == PacketType::suback) return finish(r, Suback{packet_id, std::move(properties), std::move(reasons)});
  return finish(r, Unsuback{packet_id, std::move(properties), std::move(reasons)});
}

void encode_suback(PacketType type, std::uint16_t packet_id, const Properties& p,
                   const std::vector<ReasonCode>& reasons, Writer& w) {
  std::string body;
  Writer b(body);
  b.u16(packet_id);
  write_properties(b, p, context_of(type));
  for (auto c : reasons) {
    if (!reason_allowed(c, type)) throw std::invalid_argument("reason code not allowed here");
    b.u8(static_cast<std::uint8_t>(c));
  }
  write_packet(w, first_byte(type), body);
}

}  // namespace broker::codec::v5::detail
