// libFuzzer harness for the lock's own MQTT codec (firmware/src/mqtt_wire.cpp), read against
// the broker's (broker/src/codec) on the same bytes. The input is a stream as a broker, or anyone
// who can play one to a lock (a forged DNS answer, a hostile Wi-Fi), would send it. The two must
// cut it into the same packets; every broker-to-client packet the broker's codec accepts, the lock
// must accept too (or it would drop a legal packet) and read the same way; and what the lock
// encodes must be what the broker's codec encodes for the same packet.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "broker/codec/decode.hpp"
#include "broker/codec/encode.hpp"
#include "broker/codec/framer.hpp"
#include "firmware/mqtt_wire.hpp"
#include "require.hpp"

namespace codec = broker::codec;
namespace wire = firmware::wire;
using fuzz::require;

namespace {

const std::uint8_t* bytes(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

void check_publish(std::uint8_t flags, std::string_view body, const codec::DecodeResult& theirs) {
  wire::InPublish mine;
  bool ok = wire::decode_publish(flags, bytes(body), body.size(), mine);
  if (!theirs.ok()) return;  // the lock may be laxer (it does not check UTF-8 or wildcards)
  require(ok, "the lock refuses a PUBLISH the broker's codec accepts");
  auto& p = std::get<codec::Publish>(theirs.packet);
  require(mine.topic == p.topic && mine.payload == p.payload && mine.qos == p.qos && mine.retain == p.retain &&
              mine.dup == p.dup && mine.packet_id == p.packet_id,
          "the lock reads a PUBLISH differently");
  // What the lock would send for this message (it never sets DUP or RETAIN).
  std::uint8_t out[1024];
  auto n = wire::encode_publish(out, sizeof out, mine.topic, mine.payload, mine.qos, mine.packet_id);
  if (n == 0) return;  // too big for the buffer here
  auto plain = p;
  plain.dup = plain.retain = false;
  require(std::string_view(reinterpret_cast<char*>(out), n) == codec::encode(plain),
          "the lock encodes a PUBLISH differently");
}

void check_packet(const wire::Header& h, std::string_view packet) {
  auto body = packet.substr(h.size);
  auto theirs = codec::decode(packet, codec::protocol_v311);
  switch (h.type()) {
    case wire::connack: {
      std::uint8_t code = 0;
      bool ok = wire::decode_connack(h.flags(), bytes(body), body.size(), code);
      if (!theirs.ok()) break;
      require(ok, "the lock refuses a CONNACK the broker's codec accepts");
      require(code == static_cast<std::uint8_t>(std::get<codec::Connack>(theirs.packet).code),
              "the lock reads a CONNACK's code differently");
      break;
    }
    case wire::publish: check_publish(h.flags(), body, theirs); break;
    case wire::puback:
    case wire::pubrec:
    case wire::pubrel:
    case wire::pubcomp:
    case wire::unsuback: {
      std::uint16_t id = 0;
      bool ok = wire::decode_ack(h.type(), h.flags(), bytes(body), body.size(), id);
      if (!theirs.ok()) break;
      require(ok, "the lock refuses an ack the broker's codec accepts");
      require(id == std::get<codec::Ack>(theirs.packet).packet_id, "the lock reads an ack differently");
      std::uint8_t out[4];
      auto n = wire::encode_ack(out, sizeof out, h.type(), id);
      require(std::string_view(reinterpret_cast<char*>(out), n) == codec::encode(theirs.packet),
              "the lock encodes an ack differently");
      break;
    }
    case wire::suback: {
      std::uint16_t id = 0;
      const std::uint8_t* codes = nullptr;
      std::size_t count = 0;
      bool ok = wire::decode_suback(h.flags(), bytes(body), body.size(), id, codes, count);
      if (!theirs.ok()) break;
      require(ok, "the lock refuses a SUBACK the broker's codec accepts");
      auto& s = std::get<codec::Suback>(theirs.packet);
      require(id == s.packet_id && count == s.codes.size() && std::equal(s.codes.begin(), s.codes.end(), codes),
              "the lock reads a SUBACK differently");
      break;
    }
    default: break;  // the lock's client handles PINGRESP by its header and refuses the rest
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  while (!stream.empty()) {
    wire::Header h;
    auto mine = wire::parse_header(bytes(stream), stream.size(), h);
    auto theirs = codec::frame(stream, codec::max_fixed_header_size + codec::max_remaining_length);
    if (mine == wire::HeaderStatus::malformed) {
      // The lock is stricter in one documented way: a length in more bytes than it needs.
      bool non_minimal = theirs.header_size > 2 && stream[theirs.header_size - 1] == 0;
      require(theirs.status == codec::Frame::Status::malformed || non_minimal, "only the lock refuses a fixed header");
      break;
    }
    if (mine == wire::HeaderStatus::need_more) {
      require(theirs.status == codec::Frame::Status::need_more && theirs.header_size == 0,
              "the lock wants more of a header the broker's codec has read");
      break;
    }
    require(theirs.status != codec::Frame::Status::malformed, "only the broker's codec refuses a header");
    require(theirs.header_size == h.size && theirs.remaining_length == h.remaining,
            "the two read a fixed header differently");
    if (h.total() > stream.size()) {
      require(theirs.status == codec::Frame::Status::need_more, "need-more differs");
      break;
    }
    require(theirs.status == codec::Frame::Status::packet, "a whole packet is not framed");
    check_packet(h, stream.substr(0, h.total()));
    stream.remove_prefix(h.total());
  }
  return 0;
}
