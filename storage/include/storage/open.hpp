#pragma once
// The one place that picks backends. Called once at start (it may block briefly: it opens the
// SQLite file and the history spool, and migrates the embedded schema); never on an I/O thread.
// A MariaDB or Redis that is down at start is not an error: those backends connect in the
// background, fail operations fast meanwhile, and history waits in the spool.
#include <boost/asio/io_context.hpp>
#include <memory>

#include "storage/config.hpp"
#include "storage/history_writer.hpp"
#include "storage/key_value.hpp"
#include "storage/result.hpp"
#include "storage/sql.hpp"

namespace spdlog {
class logger;
}

namespace storage {

struct Storage {
  std::shared_ptr<KeyValue> kv;
  std::shared_ptr<Sql> sql;
  std::shared_ptr<HistoryWriter> history;  // writes through `sql`; null when Config::history is false
};

// The Redis backend runs on `io` (its own strand), so `io` must be running and must outlive the
// returned objects; release them before stopping it. Fails on an unusable data dir, a corrupt
// SQLite file or an invalid setting (the message names it).
Result<Storage> open(const Config& config, boost::asio::io_context& io, std::shared_ptr<spdlog::logger> log);

}  // namespace storage
