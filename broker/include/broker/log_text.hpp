#pragma once
// Client-chosen text (client ids, usernames, topics, filters, forwarded addresses, HTTP paths and
// headers, lock numbers taken from topics, store errors that echo a value) as it goes into a log
// line: control bytes and the backslash escaped as \xNN, so a CR/LF cannot forge a log line and an
// ESC cannot drive the operator's terminal, and at most 128 bytes kept. The one escaper every
// module uses (broker/ is the library they all link).
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
