#include "wire_persistence.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "broker/server.hpp"
#include "storage/journal.hpp"

namespace app {

std::shared_ptr<broker::Persistence> wire_persistence(broker::Server& server, const Config& c,
                                                      const Logging& logging) {
  if (!c.boolean("persistence.enabled")) return nullptr;
  storage::JournalConfig jc;
  jc.path = c.has("persistence.path")
                ? c.str("persistence.path")
                : (std::filesystem::path(c.str("node.data_dir")) / "sessions.journal").string();
  const auto& sync = c.str("persistence.sync");
  jc.sync = sync == "always" ? storage::SyncPolicy::always
            : sync == "none" ? storage::SyncPolicy::none
                             : storage::SyncPolicy::everysec;
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

void append_persistence_metrics(broker::Server& server, std::string& out) {
  auto& b = server.broker();
  auto metric = [&out](const char* name, const char* type, const char* help, std::uint64_t v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, v);
  };
  if (auto* p = b.persistence()) {
    metric("sakura_persistence_stored_bytes", "gauge", "message bytes held by the persistence store",
           p->stored_bytes());
    metric("sakura_persistence_dropped_total", "counter",
           "messages for offline persistent sessions dropped at persistence.max_bytes",
           b.stats().get(broker::Stat::persistence_dropped));
  }
  metric("sakura_retained_messages", "gauge", "retained messages held", b.retained().size());
  metric("sakura_retained_rejected_total", "counter",
         "retained messages refused (limits.max_retained, limits.max_retained_payload)",
         b.retained().rejected());
}

}  // namespace app
