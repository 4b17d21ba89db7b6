#include "wire_persistence.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "broker/server.hpp"
#include "storage/journal.hpp"
#include "wire_storage.hpp"

namespace app {

std::shared_ptr<broker::Persistence> wire_persistence(broker::Server& server, const Config& c, const Logging& logging) {
  if (!c.boolean("persistence.enabled")) return nullptr;
  storage::JournalConfig jc;
  jc.path = c.has("persistence.path") ? c.str("persistence.path")
                                      : (std::filesystem::path(c.str("node.data_dir")) / "sessions.journal").string();
  jc.sync = sync_policy(c);
  jc.compact_min_bytes = c.size("persistence.compact_min_bytes");
  std::shared_ptr<broker::Persistence> journal;
  try {
    journal = storage::open_journal(jc, logging.get("persistence"));
  } catch (const std::runtime_error& e) {
    throw ConfigError(fmt::format("persistence.path {}: {}", jc.path, e.what()));
  }
  auto state = journal->load();
  server.broker().set_persistence(journal);
  server.broker().restore(state);
  return journal;
}

}  // namespace app
