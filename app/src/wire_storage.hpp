#pragma once
#include <memory>

#include "config.hpp"
#include "logging.hpp"

namespace broker {
class Server;
}
namespace storage {
struct Storage;
enum class SyncPolicy;
struct Config;
}  // namespace storage

namespace app {

// Opens the stores once, for every module to share: the embedded key-value store lives in this
// process's memory, so auth/, lockrules/ and the HTTP API must all use the same instance. The
// Redis backend runs on broker worker 0's event loop (it never blocks; it starts with the
// server). Throws ConfigError naming the setting when a store cannot be opened.
std::shared_ptr<storage::Storage> wire_storage(broker::Server& server, const Config& config, const Logging& logging);

// The storage settings (node.data_dir, auth.backend, redis.*, sql.*, persistence.sync).
storage::Config storage_config(const Config& config);

// persistence.sync, which both the history spool and the persistence journal follow.
storage::SyncPolicy sync_policy(const Config& config);

}  // namespace app
