#include "byte_range.hpp"

#include <charconv>

namespace http::detail {

namespace {
bool parse_uint(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}
}  // namespace

RangeResult parse_range(std::string_view header, std::uint64_t size, ByteRange& out) {
  constexpr std::string_view unit = "bytes=";
  if (header.substr(0, unit.size()) != unit) return RangeResult::whole;  // unknown unit: ignore
  auto spec = header.substr(unit.size());
  if (spec.find(',') != std::string_view::npos) return RangeResult::whole;
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeResult::whole;
  auto a = spec.substr(0, dash), b = spec.substr(dash + 1);
  std::uint64_t first = 0, last = 0;
  if (a.empty()) {  // suffix: the last N bytes
    if (!parse_uint(b, last)) return RangeResult::whole;
    if (last == 0 || size == 0) return RangeResult::unsatisfiable;
    out = {last >= size ? 0 : size - last, size - 1};
    return RangeResult::partial;
  }
  if (!parse_uint(a, first)) return RangeResult::whole;
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else {
    if (!parse_uint(b, last) || last < first) return RangeResult::whole;
    if (last >= size) last = size - 1;
  }
  if (first >= size) return RangeResult::unsatisfiable;
  out = {first, last};
  return RangeResult::partial;
}

}  // namespace http::detail
