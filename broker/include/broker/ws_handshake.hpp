#pragma once
// The decisions of a WebSocket upgrade, as plain functions over header values so they are tested
// without sockets: which subprotocol to answer with, whether the path is ours, and who the client
// really is when a trusted proxy (nginx) forwards it.
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "broker/proxy_protocol.hpp"

namespace broker {

struct SubprotocolChoice {
  bool accepted = false;
  std::string echo;  // empty: answer without Sec-WebSocket-Protocol
};

// `offered` is the Sec-WebSocket-Protocol header (a comma list, possibly empty). None offered is
// accepted (WeChat clients often send none); otherwise the first of `mqtt`, `mqttv3.1` offered is
// echoed; anything else is refused.
SubprotocolChoice choose_subprotocol(std::string_view offered);

// Whether the request target (query string ignored) is `path`.
bool path_matches(std::string_view target, std::string_view path);

// The client's address as shown in logs and admin views. The peer itself ("ip:port") unless it is
// a trusted proxy; then the rightmost X-Forwarded-For entry that is not itself a trusted proxy
// (entries left of it could be forged by the client), else X-Real-IP, as a bare "ip" since
// proxies do not forward the client's port.
std::string forwarded_client(const boost::asio::ip::tcp::endpoint& peer, std::string_view x_forwarded_for,
                             std::string_view x_real_ip, const TrustedProxies& trusted);

}  // namespace broker
