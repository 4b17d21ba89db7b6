#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/codec/packet.hpp"

namespace broker::codec {

// Appends the encoding of `p` to `out`. Encoding trusts its input: values out of range for the
// wire (a topic over 65535 bytes) are the caller's bug and throw std::length_error.
void encode(const Packet& p, std::string& out);
std::string encode(const Packet& p);

// Remaining-length bytes for `n` into `out` (at most 4); returns how many were written.
std::size_t encode_remaining_length(std::size_t n, std::uint8_t* out);

// The part of a PUBLISH that precedes the packet id: fixed header, remaining length and the topic
// length. Fan-out writes [prefix][topic][packet id][payload] with shared topic and payload bytes.
struct PublishPrefix {
  std::uint8_t bytes[7];
  std::uint8_t size = 0;
};
PublishPrefix publish_prefix(std::uint8_t qos, bool retain, bool dup, std::size_t topic_size, std::size_t payload_size);

}  // namespace broker::codec
