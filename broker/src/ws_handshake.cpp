#include "broker/ws_handshake.hpp"

#include <cctype>
#include <vector>

namespace broker {

namespace {

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto comma = s.find(',');
    out.push_back(trim_ows(s.substr(0, comma)));
    if (comma == std::string_view::npos) return out;
    s = s.substr(comma + 1);
  }
}

// RFC 7230 tchar: what a subprotocol token is made of (no space, quote, separator or control).
bool is_token(std::string_view s) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  for (unsigned char c : s)
    if (!std::isalnum(c) && extra.find(static_cast<char>(c)) == std::string_view::npos) return false;
  return !s.empty();
}

}  // namespace

SubprotocolChoice choose_subprotocol(std::string_view offered) {
  if (trim_ows(offered).empty()) return {true, {}};
  std::optional<std::string_view> chosen;
  for (auto p : split_commas(offered)) {
    if (p.empty()) continue;  // "a,,b": empty list elements are allowed (RFC 7230 7)
    if (!is_token(p)) return {false, {}};
    if (!chosen && p.substr(0, 4) == "mqtt" && p.size() <= max_subprotocol_length) chosen = p;
  }
  if (!chosen) return {false, {}};
  return {true, std::string(*chosen)};
}

bool path_matches(std::string_view target, std::string_view path) {
  return target.substr(0, target.find('?')) == path;
}

}  // namespace broker
