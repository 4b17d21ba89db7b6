#pragma once
// MQTT over WebSocket (and WSS): each accepted socket is upgraded (TLS handshake first for WSS)
// within handshake_timeout, then runs MQTT exactly as TCP does. A request for another path gets
// 404, one that is not an upgrade 426, an unknown subprotocol 400, a malformed one 400; each is
// answered, logged on one line and closed without touching any other connection.
#include <chrono>
#include <memory>
#include <string>

#include "broker/listener.hpp"
#include "broker/proxy_protocol.hpp"
#include "broker/tls_context.hpp"

namespace broker {

class Server;

struct WsOptions {
  std::string path = "/mqtt";
  // Largest WebSocket message (and so frame) accepted; larger closes the connection.
  std::size_t max_message_size = 2 * 1024 * 1024;
  // Peers whose X-Forwarded-For / X-Real-IP are believed (nginx).
  TrustedProxies trusted;
  std::chrono::milliseconds handshake_timeout{10000};
};

// For Server::add_listener: plain WebSocket, or WSS when `tls` is set.
Listener::Accepted ws_acceptor(Server& server, WsOptions options, std::shared_ptr<TlsContext> tls = nullptr);

}  // namespace broker
