#include "broker/ws_handshake.hpp"

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

}  // namespace

SubprotocolChoice choose_subprotocol(std::string_view offered) {
  if (trim_ows(offered).empty()) return {true, {}};
  for (auto p : split_commas(offered))
    if (p == "mqtt" || p == "mqttv3.1") return {true, std::string(p)};
  return {false, {}};
}

bool path_matches(std::string_view target, std::string_view path) {
  return target.substr(0, target.find('?')) == path;
}

}  // namespace broker
