// MQTT 5.0 decoding: the fixed header rules, then one decoder per packet (connect.cpp,
// publish.cpp, subscribe.cpp, disconnect.cpp) over the shared property reader (properties.cpp).
#include "broker/codec/v5/decode.hpp"

#include "broker/codec/framer.hpp"
#include "detail.hpp"

namespace broker::codec::v5 {

DecodeResult decode(std::string_view packet, const Options& options) {
  using namespace detail;
  auto f = frame(packet, max_remaining_length + max_fixed_header_size);
  if (f.status == Frame::Status::malformed) return failure(f.error);
  if (f.status == Frame::Status::need_more) return failure(Error::truncated);
  if (f.total() != packet.size()) return failure(Error::trailing_bytes);
  // The remaining length is a Variable Byte Integer, which MQTT 5.0 wants in the fewest bytes
  // [MQTT-1.5.5-1] (3.1.1 tolerates padding; the framer does too).
  std::uint8_t minimal[4];
  if (f.header_size != 1 + encode_remaining_length(f.remaining_length, minimal))
    return failure(Error::bad_variable_byte_integer);
  auto first = static_cast<std::uint8_t>(packet[0]);
  auto raw_type = first >> 4;
  std::uint8_t flags = first & 0x0F;
  if (raw_type == 0) return failure(Error::bad_packet_type);
  auto type = static_cast<PacketType>(raw_type);
  bool flags_ok =
      type == PacketType::publish ||
      flags == ((type == PacketType::pubrel || type == PacketType::subscribe || type == PacketType::unsubscribe)
                    ? 0x02
                    : 0x00);
  if (!flags_ok) return failure(Error::bad_fixed_header_flags);
  // DUP on QoS 0 is malformed [MQTT-3.3.1-2].
  if (type == PacketType::publish && (flags & 0x08) && ((flags >> 1) & 0x03) == 0)
    return failure(Error::bad_fixed_header_flags);
  Reader r(packet.substr(f.header_size));
  switch (type) {
    case PacketType::connect: return decode_connect(r, options);
    case PacketType::connack: return decode_connack(r, options);
    case PacketType::publish: return decode_publish(r, flags, options);
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp: return decode_pub_ack(r, type, options);
    case PacketType::subscribe: return decode_subscribe(r, options);
    case PacketType::suback:
    case PacketType::unsuback: return decode_suback(r, type, options);
    case PacketType::unsubscribe: return decode_unsubscribe(r, options);
    case PacketType::pingreq: return finish(r, Pingreq{});
    case PacketType::pingresp: return finish(r, Pingresp{});
    case PacketType::disconnect:
    case PacketType::auth: return decode_disconnect(r, type, options);
  }
  return failure(Error::bad_packet_type);
}

}  // namespace broker::codec::v5
