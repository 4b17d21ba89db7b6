#pragma once
// MQTT over TLS: each accepted socket gets the listener's current context, completes its handshake
// within options().handshake_timeout (else it is closed with one log line), and then runs MQTT
// exactly as TCP does.
#include <memory>

#include "broker/listener.hpp"
#include "broker/tls_context.hpp"

namespace broker {

class Server;

// For Server::add_listener.
Listener::Accepted tls_acceptor(Server& server, std::shared_ptr<TlsContext> tls);

}  // namespace broker
