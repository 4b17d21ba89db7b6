#pragma once
#include <string>

namespace broker {
class Server;
}

namespace app {

// The broker's figures for /metrics beyond its counters (which the HTTP API renders itself):
// the persistence store, the retained store, and how connections and load sit on the workers.
void append_broker_metrics(broker::Server& server, std::string& out);

}  // namespace app
