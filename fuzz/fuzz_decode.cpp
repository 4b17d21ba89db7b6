// libFuzzer harness for the MQTT codec: the input is a byte stream as a socket would deliver it.
// It is cut into packets with frame(), each packet is decoded at both protocol levels, and every
// successful decode must survive a round trip: encoding gives back the input (in canonical form),
// which decodes and encodes again to the same bytes. Each packet is also decoded as MQTT 5.0,
// where the shortest form is canonical (an ack without reason or properties, properties in
// identifier order): decode -> encode -> decode -> encode must give the same bytes twice.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "broker/codec/decode.hpp"
#include "broker/codec/encode.hpp"
#include "broker/codec/framer.hpp"
#include "broker/codec/v5/decode.hpp"
#include "broker/codec/v5/encode.hpp"
#include "require.hpp"

namespace codec = broker::codec;

using fuzz::require;

namespace {

// The bytes fan-out would write for `p`, built the way the broker builds them.
std::string fanout_bytes(const codec::Publish& p) {
  auto prefix = codec::publish_prefix(p.qos, p.retain, p.dup, p.topic.size(), p.payload.size());
  std::string out(reinterpret_cast<const char*>(prefix.bytes), prefix.size);
  out += p.topic;
  if (p.qos > 0) {
    out.push_back(static_cast<char>(p.packet_id >> 8));
    out.push_back(static_cast<char>(p.packet_id & 0xFF));
  }
  out += p.payload;
  return out;
}

// `packet` in the one form encode() produces for what it means: the remaining length in the
// fewest bytes, and no DUP bit on an MQTT 3.1 PUBREL/SUBSCRIBE/UNSUBSCRIBE retry (the packet
// structs do not keep it). Every other bit of the input must survive decode and encode.
std::string canonical(std::string_view packet, std::size_t header_size, std::uint8_t level) {
  auto first = static_cast<std::uint8_t>(packet[0]);
  auto type = first >> 4;
  if (level == codec::protocol_v31 && (type == 6 || type == 8 || type == 10)) first &= 0xF7;
  auto body = packet.substr(header_size);
  std::uint8_t length[4];
  auto n = codec::encode_remaining_length(body.size(), length);
  std::string out(1, static_cast<char>(first));
  out.append(reinterpret_cast<const char*>(length), n);
  out.append(body);
  return out;
}

// Returns the re-encoded bytes, or an empty string when `packet` does not decode at `level`.
std::string check_round_trip(std::string_view packet, std::size_t header_size, std::uint8_t level) {
  auto first = codec::decode(packet, level);
  if (!first.ok()) return {};
  auto encoded = codec::encode(first.packet);
  require(encoded == canonical(packet, header_size, level),
          "re-encoding differs from the input beyond its canonical form");
  auto f = codec::frame(encoded, encoded.size());
  require(f.status == codec::Frame::Status::packet && f.total() == encoded.size(),
          "re-encoded bytes do not frame as one packet");
  auto second = codec::decode(encoded, level);
  require(second.ok(), "re-encoded packet does not decode");
  require(codec::type_of(second.packet) == codec::type_of(first.packet), "type changed");
  require(codec::encode(second.packet) == encoded, "second encoding differs from the first");
  if (auto* p = std::get_if<codec::Publish>(&first.packet))
    require(fanout_bytes(*p) == encoded, "publish_prefix disagrees with encode");
  return encoded;
}

// MQTT 5.0: a decoded packet encodes (without throwing) to bytes no longer than the input that
// decode to a packet of the same type encoding to the same bytes; a refused one has a reason code
// a CONNACK or DISCONNECT may carry.
void check_round_trip_v5(std::string_view packet) {
  namespace v5 = codec::v5;
  auto first = v5::decode(packet);
  if (!first.ok()) {
    auto reason = v5::reason_for(first.error);
    require(v5::reason_allowed(reason, codec::PacketType::disconnect) ||
                v5::reason_allowed(reason, codec::PacketType::connack),
            "v5 decode error without a reason code to send");
    return;
  }
  auto encoded = v5::encode(first.packet);
  require(encoded.size() <= packet.size(), "v5 re-encoding is longer than the input");
  auto second = v5::decode(encoded);
  require(second.ok(), "v5 re-encoded packet does not decode");
  require(v5::type_of(second.packet) == v5::type_of(first.packet), "v5 type changed");
  require(v5::encode(second.packet) == encoded, "v5 second encoding differs from the first");
  // MQTT 5.0 wants every Variable Byte Integer minimal, the remaining length included.
  auto f = codec::frame(packet, packet.size());
  std::uint8_t minimal[4];
  require(f.header_size == 1 + codec::encode_remaining_length(f.remaining_length, minimal),
          "v5 accepted a padded remaining length");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  while (!stream.empty()) {
    auto f = codec::frame(stream);
    if (f.status == codec::Frame::Status::malformed) break;
    if (f.status == codec::Frame::Status::need_more) {
      // Once the header is whole the framer has promised a size larger than what is here.
      require(f.header_size == 0 || f.total() > stream.size(), "need_more for a whole packet");
      break;
    }
    require(f.header_size >= 2 && f.header_size <= codec::max_fixed_header_size, "fixed header size out of range");
    require(f.total() <= stream.size(), "packet extends past the input");
    auto packet = stream.substr(0, f.total());
    auto v311 = check_round_trip(packet, f.header_size, codec::protocol_v311);
    auto v31 = check_round_trip(packet, f.header_size, codec::protocol_v31);
    // MQTT 3.1 only relaxes 3.1.1's rules, and where both accept they read the same packet.
    if (!v311.empty()) require(v31 == v311, "3.1.1 accepts what 3.1 reads differently");
    check_round_trip_v5(packet);
    stream.remove_prefix(f.total());
  }
  return 0;
}
