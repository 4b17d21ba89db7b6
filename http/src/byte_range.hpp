#pragma once
// The Range header of a firmware download (RFC 9110 14.2), single ranges only: a lock resumes
// with "bytes=N-" or asks "bytes=A-B"; several ranges at once are answered with the whole image.
#include <cstdint>
#include <string_view>

namespace http::detail {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

enum class RangeResult { whole, partial, unsatisfiable };

RangeResult parse_range(std::string_view header, std::uint64_t size, ByteRange& out);

}  // namespace http::detail
