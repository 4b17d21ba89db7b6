#pragma once
// The HTTP/1.1 a lock needs to download an image in ranges: a URL split into host, port and path,
// a GET with a Range header, and a response head read into the few fields that matter.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firmware/config.hpp"

namespace firmware {

struct Url {
  char host[host_max + 1] = {};
  char path[path_max + 1] = {};
  std::uint16_t port = 80;
  bool tls = false;
};

// http://host[:port][/path] or https://...; no user info, IPv6 literals or fragments.
bool parse_url(std::string_view text, Url& out);

// GET for bytes [first, last] (inclusive, as HTTP counts them), keeping the connection open.
// Returns the request's length, 0 when it does not fit.
std::size_t build_range_request(char* out, std::size_t capacity, const Url& url, std::uint64_t first,
                                std::uint64_t last);

struct HttpHead {
  std::uint16_t status = 0;
  bool has_length = false;
  std::uint64_t content_length = 0;
  bool has_range = false;  // Content-Range: bytes first-last/total
  std::uint64_t range_first = 0;
  std::uint64_t range_last = 0;
  std::uint64_t range_total = 0;  // 0 when the server sent "*"
  bool closes = false;            // HTTP/1.0 or Connection: close
  bool chunked = false;
};

// The length of the head (through the blank line) at the start of `data`, 0 while incomplete.
std::size_t http_head_length(std::string_view data);
// Parses a complete head; false when the status line or a header the lock relies on is malformed.
bool parse_http_head(std::string_view head, HttpHead& out);

}  // namespace firmware
