#pragma once
// MQTT 5.0 decoding: one whole packet (as delimited by codec::frame()) into a v5::Packet, with the
// validation of the specification. The error says what was wrong; v5::reason_for() turns it into
// the reason code of the CONNACK or DISCONNECT the receiver sends before closing.
#include <cstddef>
#include <string_view>

#include "broker/codec/error.hpp"
#include "broker/codec/v5/packet.hpp"

namespace broker::codec::v5 {

// Bounds on what one packet may make the decoder allocate beyond its own bytes. Every property is
// already bounded by the packet size; these bound the ones that repeat, each of which costs heap
// blocks of its own (a User Property of two empty strings is 5 bytes on the wire and two
// std::strings in memory: a 1 MiB packet of them would be ~200,000 pairs).
struct Options {
  // User Properties per property block (a CONNECT's and its will's are counted apart). EMQX and
  // Mosquitto set none; 32 is far above what MQTT.js or Paho applications send.
  std::size_t max_user_properties = 32;
  // Subscription Identifiers in one PUBLISH (one per matching subscription of the receiver).
  std::size_t max_subscription_identifiers = 32;
};

struct DecodeResult {
  Packet packet;
  Error error = Error::none;
  bool ok() const { return error == Error::none; }
};

// `packet` must be exactly one whole packet, fixed header included. A CONNECT must be
// "MQTT" level 5 (anything else is Error::bad_protocol_level / bad_protocol_name). The remaining
// length, like every Variable Byte Integer of MQTT 5.0, must use the fewest bytes.
// Rules that need the connection's state (Topic Alias over the maximum, a Subscription
// Identifier from a client, Receive Maximum exceeded) are the caller's.
DecodeResult decode(std::string_view packet, const Options& options = {});

}  // namespace broker::codec::v5
