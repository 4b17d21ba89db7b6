#pragma once
#include <functional>
#include <string>

#include "broker/proxy_protocol.hpp"

#include "broker/proxy_protocol.hpp"
#include "config.hpp"
#include "logging.hpp"

namespace broker {
class Server;
}

namespace app {

// Adds the MQTT listeners the configuration enables: tcp (with the PROXY protocol if asked), ws,
// and tls / wss when a certificate is configured. Returns what reloads the TLS certificates
// (SIGHUP): it logs the outcome and keeps the old certificates when the new ones do not load.
// A trusted-proxies setting (listener.tcp/ws, http), or a ConfigError naming the key.
broker::TrustedProxies trusted_proxies(const Config& c, const std::string& key);

std::function<void()> wire_listeners(broker::Server& server, const Config& config, const Logging& logging);

// The peers a listener does not count per address: limits.address_exempt and its own trusted
// proxies (`proxies_key`, empty for none), whose clients are counted by forwarded address.
broker::TrustedProxies uncounted_addresses(const Config& config, const std::string& proxies_key);

}  // namespace app
