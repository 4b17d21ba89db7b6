#include "broker/codec/decode.hpp"

#include "broker/codec/framer.hpp"
#include "broker/topic.hpp"
#include "wire.hpp"

namespace broker::codec {
namespace {

using wire::Reader;

DecodeResult failure(Error e) { return DecodeResult{Pingreq{}, e}; }

DecodeResult finish(Reader& r, Packet p) {
  if (r.failed()) return failure(r.error());
  if (!r.at_end()) return failure(Error::trailing_bytes);
  return DecodeResult{std::move(p), Error::none};
}

DecodeResult decode_connect(Reader& r) {
  Connect c;
  auto name = r.utf8();
  auto level = r.u8();
  if (r.failed()) return failure(r.error());
  if (name == "MQTT") {
    if (level != protocol_v311) return failure(Error::bad_protocol_level);
  } else if (name == "MQIsdp") {
    if (level != protocol_v31) return failure(Error::bad_protocol_level);
  } else {
    return failure(Error::bad_protocol_name);
  }
  c.protocol_level = level;
  auto flags = r.u8();
  c.keepalive = r.u16();
  if (r.failed()) return failure(r.error());
  wire::ConnectFlags cf(flags);
  c.clean_session = cf.clean;
  if (auto e = cf.error(); e != Error::none) return failure(e);
  if (cf.password && !cf.user) return failure(Error::bad_connect_flags);
  c.client_id = std::string(r.utf8());
  if (cf.will) {
    Will w;
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

DecodeResult decode_publish(Reader& r, std::uint8_t flags) {
  Publish p;
  p.dup = flags & 0x08;
  p.qos = (flags >> 1) & 0x03;
  p.retain = flags & 0x01;
  if (p.qos == 3) return failure(Error::bad_qos);
  auto topic = r.utf8();
  if (r.failed()) return failure(r.error());
  if (!valid_topic_name(topic)) return failure(Error::bad_topic);
  p.topic = std::string(topic);
  if (p.qos > 0) {
    p.packet_id = r.u16();
    if (!r.failed() && p.packet_id == 0) return failure(Error::zero_packet_id);
  }
  p.payload = std::string(r.rest());
  return finish(r, std::move(p));
}

DecodeResult decode_ack(Reader& r, PacketType type) {
  Ack a{type, r.u16()};
  if (!r.failed() && a.packet_id == 0) return failure(Error::zero_packet_id);
  return finish(r, a);
}

DecodeResult decode_subscribe(Reader& r) {
  Subscribe s;
  s.packet_id = r.u16();
  if (!r.failed() && s.packet_id == 0) return failure(Error::zero_packet_id);
  while (!r.failed() && !r.at_end()) {
    auto filter = r.utf8();
    auto qos = r.u8();
    if (r.failed()) break;
    if (!valid_topic_filter(filter)) return failure(Error::bad_topic_filter);
    if (qos > 2) return failure(Error::bad_qos);  // includes the reserved upper bits
    s.topics.push_back({std::string(filter), qos});
  }
  if (!r.failed() && s.topics.empty()) return failure(Error::empty_subscription);
  return finish(r, std::move(s));
}

DecodeResult decode_unsubscribe(Reader& r) {
  Unsubscribe u;
  u.packet_id = r.u16();
  if (!r.failed() && u.packet_id == 0) return failure(Error::zero_packet_id);
  if (auto e = wire::read_unsubscribe_filters(r, u.filters); e != Error::none) return failure(e);
  return finish(r, std::move(u));
}

DecodeResult decode_suback(Reader& r) {
  Suback s;
  s.packet_id = r.u16();
  if (!r.failed() && s.packet_id == 0) return failure(Error::zero_packet_id);
  while (!r.failed() && !r.at_end()) {
    auto code = r.u8();
    if (code > 2 && code != suback_failure) return failure(Error::bad_suback_code);
    s.codes.push_back(code);
  }
  if (!r.failed() && s.codes.empty()) return failure(Error::empty_subscription);
  return finish(r, std::move(s));
}

DecodeResult decode_connack(Reader& r) {
  Connack c;
  auto ack_flags = r.u8();
  auto code = r.u8();
  if (r.failed()) return failure(r.error());
  if (ack_flags & 0xFE) return failure(Error::bad_connect_flags);
  if (code > 5) return failure(Error::bad_connect_flags);
  c.session_present = ack_flags & 0x01;
  c.code = static_cast<ConnectReturn>(code);
  return finish(r, c);
}

// The flags the specification fixes for each packet type (PUBLISH's are variable).
bool flags_valid(PacketType type, std::uint8_t flags) {
  switch (type) {
    case PacketType::publish: return true;
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe: return flags == 0x02;
    default: return flags == 0;
  }
}

}  // namespace

DecodeResult decode(std::string_view packet, std::uint8_t protocol_level) {
  auto f = frame(packet, max_remaining_length + max_fixed_header_size);
  if (f.status == Frame::Status::malformed) return failure(f.error);
  if (f.status == Frame::Status::need_more) return failure(Error::truncated);
  if (f.total() != packet.size()) return failure(Error::trailing_bytes);
  auto first = static_cast<std::uint8_t>(packet[0]);
  auto raw_type = first >> 4;
  std::uint8_t flags = first & 0x0F;
  if (raw_type == 0 || raw_type == 15) return failure(Error::bad_packet_type);
  auto type = static_cast<PacketType>(raw_type);
  // MQTT 3.1 section 4.2: a retried PUBREL, SUBSCRIBE or UNSUBSCRIBE sets DUP; 3.1.1 fixed it to 0.
  bool v31_retry = type == PacketType::pubrel || type == PacketType::subscribe || type == PacketType::unsubscribe;
  if (protocol_level == protocol_v31 && v31_retry) flags &= 0x07;
  if (!flags_valid(type, flags)) return failure(Error::bad_fixed_header_flags);
  // MQTT 3.1.1 forbids DUP on QoS 0 [MQTT-3.3.1-2]; MQTT 3.1 said nothing, and old clients set it.
  if (type == PacketType::publish && protocol_level >= protocol_v311 && (flags & 0x08) && ((flags >> 1) & 0x03) == 0)
    return failure(Error::bad_fixed_header_flags);
  Reader r(packet.substr(f.header_size));
  switch (type) {
    case PacketType::connect: return decode_connect(r);
    case PacketType::connack: return decode_connack(r);
    case PacketType::publish: return decode_publish(r, flags);
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp:
    case PacketType::unsuback: return decode_ack(r, type);
    case PacketType::subscribe: return decode_subscribe(r);
    case PacketType::suback: return decode_suback(r);
    case PacketType::unsubscribe: return decode_unsubscribe(r);
    case PacketType::pingreq: return finish(r, Pingreq{});
    case PacketType::pingresp: return finish(r, Pingresp{});
    case PacketType::disconnect: return finish(r, Disconnect{});
    case PacketType::auth: break;  // MQTT 5.0 only; type 15 is refused above
  }
  return failure(Error::bad_packet_type);
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<std::uint8_t>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;  // sequence cut off
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<std::uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    static constexpr std::uint32_t min_for_length[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[n]) return false;  // overlong
    if (cp > 0x10FFFF) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace broker::codec
