#pragma once
// Client-chosen text (usernames, client ids, topics) as it goes into a log line: control bytes
// escaped, so a CR/LF in a username cannot forge a log line, and at most 128 bytes kept. Shared by
// every module that logs what a client sent.
#include <cstdio>
#include <string>
#include <string_view>

namespace broker {

inline std::string log_text(std::string_view s) {
  constexpr std::size_t kMax = 128;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || c == '\\') {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > kMax) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace broker
