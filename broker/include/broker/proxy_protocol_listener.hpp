#pragma once
// MQTT over TCP behind a load balancer that speaks the PROXY protocol (v1 or v2). A header is
// believed only from a trusted proxy, where it is optional (local tools may connect directly); a
// peer outside the list that sends one is refused, since it could claim any address.
#include <chrono>

#include "broker/listener.hpp"
#include "broker/proxy_protocol.hpp"

namespace broker {

class Server;

struct ProxyProtocolOptions {
  TrustedProxies trusted;
  // Time allowed for the first bytes (and the whole header) to arrive.
  std::chrono::milliseconds timeout{10000};
};

// For Server::add_listener: reads the header, then starts MQTT with the client's real address.
Listener::Accepted proxy_protocol_acceptor(Server& server, ProxyProtocolOptions options);

}  // namespace broker
