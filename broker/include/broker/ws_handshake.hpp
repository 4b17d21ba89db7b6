#pragma once
// The decisions of a WebSocket upgrade, as plain functions over the parsed request so they are
// tested without sockets: whether the path is ours, which subprotocol to answer with, and who the
// client is (behind nginx: forwarded.hpp). decide_upgrade() is the listener's one decision
// (ws_listener.cpp) and what fuzz/fuzz_ws.cpp drives with hostile requests.
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>

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

struct UpgradeDecision {
  // Set when the upgrade is refused: 404 (another path), 426 (not a WebSocket upgrade) or 400
  // (no acceptable subprotocol), with `reason` for the log line (the client's bytes escaped).
  std::optional<boost::beast::http::status> refuse;
  std::string reason;
  std::string echo;    // the subprotocol the 101 names (empty: none)
  std::string client;  // who the client is in logs and admin views (forwarded_client)
  // The address a trusted proxy forwarded for, which the listener counts per address instead of
  // the proxy's; nullopt when the peer is not a trusted proxy or names nobody usable.
  std::optional<boost::asio::ip::address> forwarded;
};

// The checks of an upgrade request on the listener at `path`, from `peer`, in the listener's
// order: path, Upgrade headers, subprotocol; then the client behind a trusted proxy.
UpgradeDecision decide_upgrade(const boost::beast::http::request_header<>& req, std::string_view path,
                               const boost::asio::ip::tcp::endpoint& peer, const TrustedProxies& trusted);

}  // namespace broker
