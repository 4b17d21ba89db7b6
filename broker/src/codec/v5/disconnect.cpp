// MQTT 5.0 DISCONNECT (section 3.14) and AUTH (section 3.15): a reason code and properties, both
// of which may be left out: Remaining Length 0 is Success (Normal disconnection) with no
// properties, and Remaining Length 1 a reason code with no properties.
#include <stdexcept>

#include "detail.hpp"

namespace broker::codec::v5::detail {

DecodeResult decode_disconnect(Reader& r, PacketType type, const Options& o) {
  ReasonCode reason = ReasonCode::success;
  Properties properties;
  if (!r.at_end()) {
    reason = static_cast<ReasonCode>(r.u8());
    if (!reason_allowed(reason, type)) return failure(Error::bad_reason_code);
    if (!r.at_end()) {
      if (auto e = read_properties(r, context_of(type), o, properties); e != Error::none)
        return failure(e);
    }
  }
  if (type == PacketType::auth) return finish(r, Auth{reason, std::move(properties)});
  return finish(r, Disconnect{reason, std::move(properties)});
}

void encode_disconnect(PacketType type, ReasonCode reason, const Properties& p, Writer& w) {
  if (!reason_allowed(reason, type)) throw std::invalid_argument("reason code not allowed here");
  std::string body;
  Writer b(body);
  bool properties = !p.empty();
  if (reason != ReasonCode::success || properties) b.u8(static_cast<std::uint8_t>(reason));
  if (properties) write_properties(b, p, context_of(type));
  write_packet(w, first_byte(type), body);
}

}  // namespace broker::codec::v5::detail
