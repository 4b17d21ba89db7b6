#pragma once
#include <string>

#include "broker/codec/v5/packet.hpp"

namespace broker::codec::v5 {

// Appends the MQTT 5.0 encoding of `p` to `out`, in the shortest form the spec allows (an ack
// with Success and no properties is its packet id only). Encoding trusts its input: a value the
// wire cannot carry throws std::length_error, and a property the packet may not carry (or a
// reason code it may not carry) throws std::invalid_argument.
void encode(const Packet& p, std::string& out);
std::string encode(const Packet& p);

}  // namespace broker::codec::v5
