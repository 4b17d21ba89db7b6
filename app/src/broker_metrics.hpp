#pragma once
#include <string>
#include <vector>

namespace broker {
class ConnectionLimiter;
class Server;
}  // namespace broker

namespace app {

// The broker's figures for /metrics beyond its counters (which the HTTP API renders itself):
// the persistence store, the retained store, and how connections and load sit on the workers.
void append_broker_metrics(broker::Server& server, std::string& out);

// Connections held and refused, by listener (and reason), over the given limiters (the MQTT
// listeners' and the HTTP API's).
// `limiters`: each with the scope its cap is reported under (mqtt, http, http_ops).
void append_connection_metrics(const std::vector<std::pair<const char*, const broker::ConnectionLimiter*>>& limiters,
                               std::string& out);

}  // namespace app
