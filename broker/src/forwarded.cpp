#include "broker/forwarded.hpp"

#include <algorithm>
#include <vector>

#include "broker/tcp_transport.hpp"

namespace broker {

namespace ip = boost::asio::ip;

std::string_view trim_ows(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::optional<ip::address> parse_forwarded_hop(std::string_view hop) {
  std::string text(trim_ows(hop));
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    // Only IPv4 has a single colon ("ip:port"); an IPv6 address keeps every group.
    text = text.substr(0, text.find(':'));
  }
  boost::system::error_code ec;
  auto a = ip::make_address(text, ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

std::optional<ip::address> forwarded_address(const ip::address& peer, std::string_view x_forwarded_for,
                                             std::string_view x_real_ip, const TrustedProxies& trusted) {
  if (!trusted.contains(peer)) return std::nullopt;
  std::vector<std::string_view> hops;
  for (auto rest = x_forwarded_for; !trim_ows(rest).empty();) {
    auto comma = rest.find(',');
    hops.push_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  std::optional<ip::address> client;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto a = parse_forwarded_hop(*it);
    if (!a) break;  // garbage: trust nothing further left
    client = a;
    if (!trusted.contains(*a)) break;
  }
  if (client) return client;
  return parse_forwarded_hop(x_real_ip);
}

std::string forwarded_client(const ip::tcp::endpoint& peer, std::string_view x_forwarded_for,
                             std::string_view x_real_ip, const TrustedProxies& trusted) {
  if (auto a = forwarded_address(peer.address(), x_forwarded_for, x_real_ip, trusted)) return a->to_string();
  return format_endpoint(peer);
}

}  // namespace broker
