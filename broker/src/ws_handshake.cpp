#include "broker/ws_handshake.hpp"

#include <algorithm>
#include <vector>

#include "broker/tcp_transport.hpp"

namespace broker {

namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto comma = s.find(',');
    out.push_back(trim(s.substr(0, comma)));
    if (comma == std::string_view::npos) return out;
    s = s.substr(comma + 1);
  }
}

// "1.2.3.4", "1.2.3.4:5678", "::1", "[::1]:5678"; IPv4-mapped IPv6 shown as IPv4.
std::optional<ip::address> parse_forwarded(std::string_view s) {
  std::string text(s);
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    text = text.substr(0, text.find(':'));
  }
  boost::system::error_code ec;
  auto a = ip::make_address(text, ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

SubprotocolChoice choose_subprotocol(std::string_view offered) {
  if (trim(offered).empty()) return {true, {}};
  for (auto p : split_commas(offered))
    if (p == "mqtt" || p == "mqttv3.1") return {true, std::string(p)};
  return {false, {}};
}

bool path_matches(std::string_view target, std::string_view path) {
  return target.substr(0, target.find('?')) == path;
}

std::string forwarded_client(const ip::tcp::endpoint& peer, std::string_view x_forwarded_for,
                             std::string_view x_real_ip, const TrustedProxies& trusted) {
  if (!trusted.contains(peer.address())) return format_endpoint(peer);
  if (!trim(x_forwarded_for).empty()) {
    auto hops = split_commas(x_forwarded_for);
    std::optional<ip::address> client;
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
      auto a = parse_forwarded(*it);
      if (!a) break;  // garbage: trust nothing further left
      client = a;
      if (!trusted.contains(*a)) break;
    }
    if (client) return client->to_string();
  }
  if (auto a = parse_forwarded(trim(x_real_ip))) return a->to_string();
  return format_endpoint(peer);
}

}  // namespace broker
