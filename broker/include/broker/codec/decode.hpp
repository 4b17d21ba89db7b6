#pragma once
#include <string_view>
#include <variant>

#include "broker/codec/error.hpp"
#include "broker/codec/packet.hpp"

namespace broker::codec {

struct DecodeResult {
  Packet packet;
  Error error = Error::none;
  bool ok() const { return error == Error::none; }
};

// Decodes exactly one whole packet (as delimited by frame()) with the strict validation of the
// MQTT 3.1.1 specification; the bytes must be the complete packet, fixed header included.
// `protocol_level` of the connection matters for the few rules that differ in MQTT 3.1.
DecodeResult decode(std::string_view packet, std::uint8_t protocol_level = protocol_v311);

// UTF-8 as MQTT requires it (RFC 3629, no U+0000, no surrogates). Exposed for topic checks on
// input that did not come through decode().
bool valid_utf8(std::string_view s);

}  // namespace broker::codec
