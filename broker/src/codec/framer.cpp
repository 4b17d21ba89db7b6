#include "broker/codec/framer.hpp"

namespace broker::codec {

Frame frame(std::string_view data, std::size_t max_packet_size) {
  Frame f;
  if (data.empty()) return f;
  std::size_t length = 0;
  std::size_t multiplier = 1;
  for (std::size_t i = 1;; ++i) {
    if (i >= data.size()) return f;  // length bytes not all here yet
    auto byte = static_cast<std::uint8_t>(data[i]);
    length += (byte & 0x7Fu) * multiplier;
    if ((byte & 0x80u) == 0) {
      f.header_size = i + 1;
      break;
    }
    if (i == 4) {  // a fifth length byte would be needed
      f.status = Frame::Status::malformed;
      f.error = Error::bad_remaining_length;
      return f;
    }
    multiplier *= 128;
  }
  f.remaining_length = length;
  if (f.total() > max_packet_size) {
    f.status = Frame::Status::malformed;
    f.error = Error::packet_too_large;
    return f;
  }
  if (data.size() >= f.total()) f.status = Frame::Status::packet;
  return f;
}

}  // namespace broker::codec
