#pragma once
// The persistence store (broker/persistence.hpp) as an append-only journal with group commit
// and compaction. Format, recovery rules and the measurements behind the choice: docs/storage.md.
#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>

#include "broker/persistence.hpp"
#include "storage/config.hpp"

namespace storage {

struct JournalConfig {
  std::string path;                               // app passes <node.data_dir>/sessions.journal
  SyncPolicy sync = SyncPolicy::everysec;         // persistence.sync
  std::uint64_t compact_min_bytes = 64ull << 20;  // compact when file > max(this, 2 x live)
};

// Opens (creating the directory/file if needed); load() must then be called once, before any
// append(). Throws std::runtime_error when the directory or file cannot be created or opened.
// Barrier callbacks run on the journal's writer thread: they post elsewhere, and never close the
// journal or drop the last reference to it.
std::shared_ptr<broker::Persistence> open_journal(const JournalConfig&, std::shared_ptr<spdlog::logger> log);

}  // namespace storage
