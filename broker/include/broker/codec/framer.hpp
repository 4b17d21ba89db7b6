#pragma once
// Splits a byte stream into MQTT packets without copying. The caller feeds whatever arrived (any
// split of the stream); the framer answers need_more, one whole packet, or malformed, and how many
// bytes the answer covers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/codec/error.hpp"

namespace broker::codec {

constexpr std::size_t default_max_packet_size = 1024 * 1024;
// Fixed header byte plus at most four bytes of remaining length.
constexpr std::size_t max_fixed_header_size = 5;
// The largest value four bytes of remaining length can hold.
constexpr std::size_t max_remaining_length = 268'435'455;

struct Frame {
  enum class Status : std::uint8_t { need_more, packet, malformed };
  Status status = Status::need_more;
  Error error = Error::none;         // when malformed
  std::size_t header_size = 0;       // fixed header: 1 + length bytes
  std::size_t remaining_length = 0;  // known once header_size > 0
  // When status is packet: the packet occupies [0, total()) of the input.
  std::size_t total() const { return header_size + remaining_length; }
};

// Looks at the start of `data`. When the fixed header is complete but the body is not, the result
// is need_more with header_size and remaining_length set, so callers can size a buffer once.
Frame frame(std::string_view data, std::size_t max_packet_size = default_max_packet_size);

}  // namespace broker::codec
