// libFuzzer harness for the query strings of HTTP requests (http/src/exchange.cpp: query_param
// and its percent-decoding, url_encode), which anyone reaching the API sends (?lockno=, ?limit=,
// ?version=). The input gives a name, a value and a query of any bytes. A parameter written with
// url_encode must read back as exactly its value wherever it stands after the hostile part, unless
// that part already holds the same name (the first one wins); url_encode must write only what a
// query may hold unescaped.
#include <fuzzer/FuzzedDataProvider.h>

#include <cctype>
#include <cstdint>
#include <string>

#include "exchange.hpp"
#include "require.hpp"

using fuzz::require;
namespace detail = http::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  auto name = in.ConsumeRandomLengthString(64);
  auto value = in.ConsumeRandomLengthString(256);
  auto query = in.ConsumeRemainingBytesAsString();
  if (name.empty()) return 0;  // every route asks for a named parameter; "a&&b" holds an empty one

  auto earlier = detail::query_param(query, name);
  auto n = detail::url_encode(name), v = detail::url_encode(value);
  for (char c : n + v)
    require(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~' || c == '%',
            "url_encode left a character a query may not hold");
  auto full = query.empty() ? n + "=" + v : query + "&" + n + "=" + v;
  auto got = detail::query_param(full, name);
  require(got.has_value(), "a parameter written with url_encode is not found");
  require(*got == (earlier ? *earlier : value), "a parameter reads back as another value");
  return 0;
}
