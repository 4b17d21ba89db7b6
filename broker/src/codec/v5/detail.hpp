#pragma once
// What the MQTT 5.0 packet files share: the property block reader and writer, and each packet's
// decoder and encoder (one file per packet family). Private to the codec.
#include "../wire.hpp"
#include "broker/codec/v5/decode.hpp"
#include "broker/codec/v5/encode.hpp"

namespace broker::codec::v5::detail {

using wire::Reader;
using wire::Writer;

// Reads a Property Length and the properties it covers into `out`, checking each identifier's
// placement, duplicates, value and the limits of `options`. Returns Error::none or the error.
Error read_properties(Reader& r, PropertyContext context, const Options& options, Properties& out);
// Writes the Property Length and the properties of `p` in identifier order.
void write_properties(Writer& w, const Properties& p, PropertyContext context);

inline DecodeResult failure(Error e) { return DecodeResult{Pingreq{}, e}; }
// The packet when `r` read it all without error.
DecodeResult finish(Reader& r, Packet p);

inline std::uint8_t first_byte(PacketType t, std::uint8_t flags = 0) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(t) << 4 | flags);
}
// Writes the fixed header for `body` and then the body.
void write_packet(Writer& w, std::uint8_t first, const std::string& body);

DecodeResult decode_connect(Reader& r, const Options& o);
DecodeResult decode_connack(Reader& r, const Options& o);
DecodeResult decode_publish(Reader& r, std::uint8_t flags, const Options& o);
DecodeResult decode_pub_ack(Reader& r, PacketType type, const Options& o);
DecodeResult decode_subscribe(Reader& r, const Options& o);
DecodeResult decode_suback(Reader& r, PacketType type, const Options& o);  // and UNSUBACK
DecodeResult decode_unsubscribe(Reader& r, const Options& o);
DecodeResult decode_disconnect(Reader& r, PacketType type, const Options& o);  // and AUTH

void encode_connect(const Connect& c, Writer& w);
void encode_connack(const Connack& c, Writer& w);
void encode_publish(const Publish& p, Writer& w);
void encode_pub_ack(const PubAck& a, Writer& w);
void encode_subscribe(const Subscribe& s, Writer& w);
void encode_suback(PacketType type, std::uint16_t packet_id, const Properties& p,
                   const std::vector<ReasonCode>& reasons, Writer& w);  // and UNSUBACK
void encode_unsubscribe(const Unsubscribe& u, Writer& w);
void encode_disconnect(PacketType type, ReasonCode reason, const Properties& p,
                       Writer& w);  // and AUTH

}  // namespace broker::codec::v5::detail
