// sakura-ctl migrate [--dry-run]: the SQL schema's versioned migrations (storage/migration.hpp),
// the same the broker applies at start, run here so an operator sees each step (and, with
// --dry-run, what would change) before starting the broker on an old database
// (docs/migration.md). Progress and the backup hint go to stderr; the report to stdout.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "ctl.hpp"
#include "storage/migration.hpp"
#include "wire_storage.hpp"

namespace ctl {

int run_migrate(Ctl& ctl, const Args& args) {
  po::options_description o;
  o.add_options()("dry-run", po::bool_switch(), "inspect the database and print the steps; write nothing");
  auto vm = parse(args, o, {});
  bool dry_run = vm["dry-run"].as<bool>();
  auto log = spdlog::stderr_color_mt("migrate");
  auto r = storage::run_migrations(app::storage_config(ctl.config()), dry_run, log);
  if (!r.ok) throw Failure("migration failed: " + r.message);
  const auto& m = r.value;
  std::string body = "{\"dry_run\":" + std::string(dry_run ? "true" : "false") +
                     ",\"version_before\":" + std::to_string(m.version_before) +
                     ",\"version_after\":" + std::to_string(m.version_after) +
                     ",\"latest\":" + std::to_string(m.latest) + ",\"backup_hint\":" + json_string(m.backup_hint) +
                     ",\"items\":[";
  for (std::size_t i = 0; i < m.steps.size(); ++i) {
    const auto& s = m.steps[i];
    body += (i ? "," : "") + std::string("{\"version\":") + std::to_string(s.version) +
            ",\"applied\":" + (s.applied ? "true" : "false") + ",\"summary\":" + json_string(s.summary) + "}";
  }
  return print_reply({200, body + "]}"}, ctl.json());
}

}  // namespace ctl
