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

// The longest subprotocol echoed: `mqttv3.1.1` and its kin are short, and the echo is a header
// the broker writes back, so a client does not choose its size.
constexpr std::size_t max_subprotocol_length = 32;

// `offered` is the Sec-WebSocket-Protocol header (a comma list, possibly empty). None offered is
// accepted without an echo (WeChat clients often send none). Otherwise, as EMQX 3 did, a token
// starting with `mqtt` (case-sensitive: `mqtt`, `mqttv3.1`, `mqttv3.1.1`, ...) is accepted and
// echoed, the first one when several are offered; a list with none, an element that is not an
// RFC 7230 token, or an `mqtt*` token longer than max_subprotocol_length is refused.
SubprotocolChoice choose_subprotocol(std::string_view offered);

// Whether the request target (query string ignored) is `path`.
bool path_matches(std::string_view target, std::string_view path);

}  // namespace broker
