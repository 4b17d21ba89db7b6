// libFuzzer harness for base64 (common/src/base64.cpp), whose decoder reads the Basic
// credentials of GET /history that anyone on the internet sends. Decoding accepts only canonical
// text: what it accepts is exactly base64_encode() of what it returns, so no two texts decode to
// one secret and no byte is read past the input. Encoding the input decodes back to it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/base64.hpp"
#include "require.hpp"

using fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto decoded = common::base64_decode(input))
    require(common::base64_encode(*decoded) == input, "accepted text is not the canonical encoding");
  auto encoded = common::base64_encode(input);
  require(encoded.size() == (size + 2) / 3 * 4, "encoded length");
  auto back = common::base64_decode(encoded);
  require(back && *back == input, "encoding does not decode back to the input");
  return 0;
}
