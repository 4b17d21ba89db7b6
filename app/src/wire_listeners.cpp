#include "wire_listeners.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/proxy_protocol_listener.hpp"
#include "broker/server.hpp"
#include "broker/tls_listener.hpp"
#include "broker/ws_listener.hpp"

namespace app {

namespace {

// Null when the listener is off or has no certificate (TLS listeners start only with one).
std::shared_ptr<broker::TlsContext> tls_context(const Config& c, const std::string& section) {
  if (!c.enabled(section + ".bind") || !c.has(section + ".certfile")) return nullptr;
  broker::TlsOptions o;
  o.certfiles = broker::split_file_list(c.str(section + ".certfile"));
  o.keyfiles = broker::split_file_list(c.str(section + ".keyfile"));
  o.cafile = c.str(section + ".cafile");
  o.verify_peer = c.boolean(section + ".verify_peer");
  o.cn_as_username = c.boolean(section + ".peer_cert_as_username");
  o.ciphers = c.str(section + ".ciphers");
  o.handshake_timeout = c.duration(section + ".handshake_timeout");
  try {
    return std::make_shared<broker::TlsContext>(std::move(o));
  } catch (const std::exception& e) {
    throw ConfigError(section + ": " + e.what());
  }
}

broker::WsOptions ws_options(const Config& c, std::chrono::milliseconds handshake_timeout) {
  broker::WsOptions o;
  o.path = c.str("listener.ws.path");
  o.max_message_size = c.size("listener.ws.max_message_size");
  o.trusted = trusted_proxies(c, "listener.ws.trusted_proxies");
  o.handshake_timeout = handshake_timeout;
  return o;
}

broker::ListenerLimits listener_limits(const Config& c, const std::string& section, const std::string& proxies_key) {
  broker::ListenerLimits l;
  l.max_connections = static_cast<std::size_t>(c.integer(section + ".max_connections"));
  l.uncounted = uncounted_addresses(c, proxies_key);
  return l;
}

}  // namespace

broker::TrustedProxies trusted_proxies(const Config& c, const std::string& key) {
  try {
    return broker::TrustedProxies(c.str(key));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(key + ": " + e.what());
  }
}

broker::TrustedProxies uncounted_addresses(const Config& c, const std::string& proxies_key) {
  auto list = c.str("limits.address_exempt");
  if (!proxies_key.empty()) list += ", " + c.str(proxies_key);
  try {
    return broker::TrustedProxies(list);
  } catch (const std::invalid_argument& e) {
    throw ConfigError("limits.address_exempt / " + proxies_key + ": " + e.what());
  }
}

std::function<void()> wire_listeners(broker::Server& server, const Config& config, const Logging& logging) {
  auto bind = [&](const std::string& section) { return broker::parse_endpoint(config.str(section + ".bind")); };
  if (config.enabled("listener.tcp.bind")) {
    if (config.boolean("listener.tcp.proxy_protocol")) {
      broker::ProxyProtocolOptions o{trusted_proxies(config, "listener.tcp.trusted_proxies"),
                                     config.duration("listener.tcp.handshake_timeout")};
      server.add_listener("tcp", bind("listener.tcp"), broker::proxy_protocol_acceptor(server, std::move(o)),
                          listener_limits(config, "listener.tcp", "listener.tcp.trusted_proxies"));
    } else {
      server.add_tcp_listener("tcp", bind("listener.tcp"), listener_limits(config, "listener.tcp", ""));
    }
  }
  if (config.enabled("listener.ws.bind"))
    server.add_listener(
        "ws", bind("listener.ws"),
        broker::ws_acceptor(server, ws_options(config, config.duration("listener.ws.handshake_timeout"))),
        listener_limits(config, "listener.ws", "listener.ws.trusted_proxies"));
  std::vector<std::pair<std::string, std::shared_ptr<broker::TlsContext>>> contexts;
  if (auto tls = tls_context(config, "listener.tls")) {
    server.add_listener("tls", bind("listener.tls"), broker::tls_acceptor(server, tls),
                        listener_limits(config, "listener.tls", ""));
    contexts.emplace_back("tls", tls);
  }
  if (auto tls = tls_context(config, "listener.wss")) {
    auto o = ws_options(config, config.duration("listener.wss.handshake_timeout"));
    server.add_listener("wss", bind("listener.wss"), broker::ws_acceptor(server, std::move(o), tls),
                        listener_limits(config, "listener.wss", "listener.ws.trusted_proxies"));
    contexts.emplace_back("wss", tls);
  }
  auto log = logging.get("tls");
  return [contexts = std::move(contexts), log] {
    for (auto& [name, ctx] : contexts) {
      try {
        ctx->reload();
        log->info("{} listener: certificates reloaded", name);
      } catch (const std::exception& e) {
        log->error("{} listener: certificates not reloaded, keeping the old ones: {}", name, e.what());
      }
    }
  };
}

}  // namespace app
