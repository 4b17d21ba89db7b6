#pragma once
#include <memory>

#include "config.hpp"
#include "logging.hpp"

namespace broker {
class Persistence;
class Server;
}  // namespace broker

namespace app {

// Opens the persistence journal (persistence.path, by default <node.data_dir>/sessions.journal),
// loads it and restores its sessions and retained messages into the broker. Call before the
// server starts: nothing may connect before the restore. Null when persistence.enabled is false.
// The caller closes it after the server has stopped (connections closed, sessions detached).
std::shared_ptr<broker::Persistence> wire_persistence(broker::Server& server, const Config& config,
                                                      const Logging& logging);

}  // namespace app
