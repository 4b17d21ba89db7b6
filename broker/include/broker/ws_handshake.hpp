#pragma once
// The decisions of a WebSocket upgrade, as plain functions over header values so they are tested
// without sockets: which subprotocol to answer with and whether the path is ours (who the client
// really is behind nginx is in forwarded.hpp).
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "broker/forwarded.hpp"

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

}  // namespace broker
