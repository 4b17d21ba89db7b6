// libFuzzer harness for the Range header of firmware downloads (http/src/byte_range.cpp), which
// anyone who can reach GET /firmware/<version> sends. The input gives an image size and a header:
// a partial answer must lie inside the image, since the server reads exactly that slice of the
// file and sends it. The input also gives a range as a lock would ask for it: the request the
// lock builds (firmware/src/http_range.cpp) must read back on the server as that same range.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "byte_range.hpp"
#include "firmware/http_range.hpp"
#include "require.hpp"

using fuzz::require;
using http::detail::ByteRange;
using http::detail::RangeResult;

namespace {

void check_header(std::string_view header, std::uint64_t size) {
  ByteRange r{7, 7};
  auto result = http::detail::parse_range(header, size, r);
  if (result == RangeResult::partial) {
    require(r.first <= r.last, "range ends before it starts");
    require(r.last < size, "range reaches past the image");
  } else {
    require(r.first == 7 && r.last == 7, "a whole or unsatisfiable answer wrote a range");
  }
  if (size == 0) require(result != RangeResult::partial, "a range of an empty image");
}

// The Range value in the request the lock sends for [first, last].
std::string lock_range_value(std::uint64_t first, std::uint64_t last) {
  firmware::Url url;
  require(firmware::parse_url("http://sakura.example/firmware/1.2.3", url), "seed URL refused");
  char request[firmware::http_request_capacity];
  auto n = firmware::build_range_request(request, sizeof request, url, first, last);
  require(n > 0, "a range request does not fit the lock's buffer");
  std::string_view text(request, n);
  constexpr std::string_view name = "\r\nRange: ";
  auto at = text.find(name);
  require(at != std::string_view::npos, "no Range header in the lock's request");
  text.remove_prefix(at + name.size());
  return std::string(text.substr(0, text.find("\r\n")));
}

void check_lock_request(std::uint64_t first, std::uint64_t last, std::uint64_t size) {
  // The lock never asks for a range that ends before it starts; and the server reads at most 19
  // digits (it ignores a Range of 20, which HTTP allows), far more than any image has.
  constexpr std::uint64_t digits19 = 9'999'999'999'999'999'999u;
  if (first > last || last > digits19) return;
  ByteRange r;
  auto result = http::detail::parse_range(lock_range_value(first, last), size, r);
  if (first >= size) {
    require(result == RangeResult::unsatisfiable, "a range past the image is not refused");
    return;
  }
  require(result == RangeResult::partial, "the lock's range is not read as a range");
  require(r.first == first && r.last == (last < size ? last : size - 1),
          "the server reads another range than the lock asked for");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // Small sizes most of the time: the edges (0, 1, one past the end) are where bugs live.
  auto image =
      in.ConsumeBool() ? in.ConsumeIntegral<std::uint64_t>() : in.ConsumeIntegralInRange<std::uint64_t>(0, 70000);
  auto first = in.ConsumeIntegral<std::uint64_t>();
  auto last = in.ConsumeBool() ? in.ConsumeIntegral<std::uint64_t>()
                               : first + in.ConsumeIntegralInRange<std::uint64_t>(0, 70000);
  check_lock_request(first, last, image);
  check_header(in.ConsumeRemainingBytesAsString(), image);
  return 0;
}
