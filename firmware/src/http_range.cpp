#include "firmware/http_range.hpp"

#include <cstring>

#include "firmware/text.hpp"

namespace firmware {
namespace {

std::string_view slice(std::string_view s, std::size_t from, std::size_t to) {
  if (from > s.size()) from = s.size();
  if (to > s.size()) to = s.size();
  if (to < from) to = from;
  return std::string_view(s.data() + from, to - from);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool copy_to(char* out, std::size_t capacity, std::string_view s) {
  if (s.size() >= capacity) return false;
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return true;
}

// "bytes 100-199/1000" or "bytes 100-199/*".
bool parse_content_range(std::string_view v, HttpHead& out) {
  if (v.size() < 6 || !equals_nocase(slice(v, 0, 6), "bytes ")) return false;
  v = trim(slice(v, 6, v.size()));
  std::size_t dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) return false;
  if (!parse_uint(slice(v, 0, dash), out.range_first) || !parse_uint(slice(v, dash + 1, slash), out.range_last) ||
      out.range_last < out.range_first)
    return false;
  auto total = slice(v, slash + 1, v.size());
  if (total == "*") {
    out.range_total = 0;
  } else if (!parse_uint(total, out.range_total) || out.range_total <= out.range_last) {
    return false;
  }
  out.has_range = true;
  return true;
}

}  // namespace

bool parse_url(std::string_view text, Url& out) {
  std::string_view rest;
  if (text.size() > 7 && equals_nocase(slice(text, 0, 7), "http://")) {
    rest = slice(text, 7, text.size());
    out.tls = false;
    out.port = 80;
  } else if (text.size() > 8 && equals_nocase(slice(text, 0, 8), "https://")) {
    rest = slice(text, 8, text.size());
    out.tls = true;
    out.port = 443;
  } else {
    return false;
  }
  std::size_t slash = rest.find('/');
  auto authority = slice(rest, 0, slash);
  auto path = slash == std::string_view::npos ? std::string_view("/") : slice(rest, slash, rest.size());
  std::size_t colon = authority.find(':');
  auto host = slice(authority, 0, colon);
  if (colon != std::string_view::npos) {
    std::uint64_t port = 0;
    if (!parse_uint(slice(authority, colon + 1, authority.size()), port) || port == 0 || port > 65535) return false;
    out.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty() || host.find('@') != std::string_view::npos) return false;
  for (char c : path)
    if (static_cast<unsigned char>(c) <= ' ' || c == '#') return false;  // would break the request
  return copy_to(out.host, sizeof out.host, host) && copy_to(out.path, sizeof out.path, path);
}

std::size_t build_range_request(char* out, std::size_t capacity, const Url& url, std::uint64_t first,
                                std::uint64_t last) {
  TextWriter w(out, capacity);
  w.add("GET ").add(url.path).add(" HTTP/1.1\r\nHost: ").add(url.host);
  if (url.port != (url.tls ? 443 : 80)) w.add(':').add_uint(url.port);
  w.add("\r\nRange: bytes=").add_uint(first).add('-').add_uint(last);
  w.add("\r\nUser-Agent: sakura-lock\r\nConnection: keep-alive\r\n\r\n");
  return w.ok() ? w.size() : 0;
}

std::size_t http_head_length(std::string_view data) {
  std::size_t end = data.find("\r\n\r\n");
  return end == std::string_view::npos ? 0 : end + 4;
}

bool parse_http_head(std::string_view head, HttpHead& out) {
  out = HttpHead{};
  std::size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos) return false;
  auto status_line = slice(head, 0, eol);
  // "HTTP/1.1 206 Partial Content"
  if (status_line.size() < 12 || slice(status_line, 0, 5) != "HTTP/" || status_line[8] != ' ') return false;
  std::uint64_t status = 0;
  if (!parse_uint(slice(status_line, 9, 12), status) || status < 100) return false;
  out.status = static_cast<std::uint16_t>(status);
  out.closes = slice(status_line, 5, 8) == "1.0";

  std::size_t pos = eol + 2;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    auto line = slice(head, pos, end);
    pos = end + 2;
    if (line.empty()) break;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    auto name = trim(slice(line, 0, colon));
    auto value = trim(slice(line, colon + 1, line.size()));
    if (equals_nocase(name, "content-length")) {
      if (!parse_uint(value, out.content_length)) return false;
      out.has_length = true;
    } else if (equals_nocase(name, "content-range")) {
      if (!parse_content_range(value, out)) return false;
    } else if (equals_nocase(name, "connection")) {
      out.closes = equals_nocase(value, "close");
    } else if (equals_nocase(name, "transfer-encoding")) {
      out.chunked = !equals_nocase(value, "identity");
    }
  }
  return true;
}

}  // namespace firmware
