// MQTT 5.0 DISCONNECT (section 3.14) and AUTH (section 3.15): a reason code and properties. Both
// may be left out (Remaining Length 0: Success, no properties); DISCONNECT may also leave out the
// Property Length alone (Remaining Length 1, 3.14.2.2.1), AUTH may not (3.15.2.1 allows only 0).
#include <stdexcept>

#include "detail.hpp"

namespace broker::codec::v5::detail {

DecodeResult decode_disconnect(Reader& r, PacketType type, const Options& o) {
  ReasonCode reason = ReasonCode::success;
  Properties properties;
  if (!r.at_end()) {
    reason = static_cast<ReasonCode>(r.u8());
    if (!reason_allowed(reason, type)) return failure(Error::bad_reason_code);
    if (!r.at_end() || type == PacketType::auth) {
      if (auto e = read_properties(r, context_of(type), o, properties); e != Error::none) return failure(e);
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
  bool short_form_allowed = type == PacketType::disconnect;
  if (properties || (reason != ReasonCode::success && !short_form_allowed)) write_properties(b, p, context_of(type));
  write_packet(w, first_byte(type), body);
}

}  // namespace broker::codec::v5::detail
