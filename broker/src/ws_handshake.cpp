#include "broker/ws_handshake.hpp"

#include <cctype>
#include <vector>

#include <boost/beast/websocket/rfc6455.hpp>

#include "broker/log_text.hpp"

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

bool path_matches(std::string_view target, std::string_view path) { return target.substr(0, target.find('?')) == path; }

UpgradeDecision decide_upgrade(const boost::beast::http::request_header<>& req, std::string_view path,
                               const boost::asio::ip::tcp::endpoint& peer, const TrustedProxies& trusted) {
  namespace http = boost::beast::http;
  auto sv = [](boost::beast::string_view s) { return std::string_view(s.data(), s.size()); };
  UpgradeDecision d;
  auto refuse = [&](http::status status, std::string why) {
    d.refuse = status;
    d.reason = std::move(why);
    return d;
  };
  if (!path_matches(sv(req.target()), path))
    return refuse(http::status::not_found, "path " + log_text(sv(req.target())));
  if (!boost::beast::websocket::is_upgrade(req))
    return refuse(http::status::upgrade_required, "not a WebSocket upgrade");
  auto offered = sv(req[http::field::sec_websocket_protocol]);
  auto proto = choose_subprotocol(offered);
  if (!proto.accepted) return refuse(http::status::bad_request, "subprotocol " + log_text(offered));
  d.echo = std::move(proto.echo);
  auto forwarded_for = sv(req["X-Forwarded-For"]), real_ip = sv(req["X-Real-IP"]);
  d.forwarded = forwarded_address(peer.address(), forwarded_for, real_ip, trusted);
  d.client = forwarded_client(peer, forwarded_for, real_ip, trusted);
  return d;
}

}  // namespace broker
