// sakura-ctl [--config FILE] [--set key=value ...] <group> <command> [args]
// Reads the configuration exactly as sakura-broker does, so it finds the same store.
#include <cstring>
#include <iostream>

#include "ctl.hpp"
#include "storage/data_dir.hpp"

extern char** environ;

namespace {

struct Group {
  const char* name;
  const char* summary;
  int (*run)(ctl::Context&, const ctl::Args&);
};

// One line per command group; each group is a cmd_<group>.cpp of its own.
const Group kGroups[] = {
    {"user", "user add <name> [--password P] [--superuser] [--ttl D] | del <name> | "
             "acl <name> <filter> <1|2|3|del> | show <name> | list", ctl::run_user},
    {"device", "device add <lockno> [--password P]", ctl::run_device},
};

void usage(std::ostream& out) {
  out << "usage: sakura-ctl [--config FILE] [--set key=value ...] <group> <command> [args]\n";
  for (const auto& g : kGroups) out << "  " << g.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  storage::restrict_umask();  // a sakura.db it creates holds credentials, as the broker's does
  app::Config config;
  std::string config_file;
  std::vector<std::string> sets;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string opt = argv[i];
    if (opt == "-h" || opt == "--help") {
      usage(std::cout);
      return 0;
    }
    if ((opt == "--config" || opt == "-c" || opt == "--set") && i + 1 < argc) {
      if (opt == "--set")
        sets.emplace_back(argv[++i]);
      else
        config_file = argv[++i];
      continue;
    }
    std::cerr << "sakura-ctl: unknown option " << opt << "\n";
    usage(std::cerr);
    return 2;
  }
  if (i >= argc) {
    usage(std::cerr);
    return 2;
  }
  try {
    if (!config_file.empty()) config.load_file(config_file);
    config.load_environment(environ);
    for (auto& s : sets) config.set(s);
  } catch (const std::exception& e) {
    std::cerr << "sakura-ctl: configuration error: " << e.what() << "\n";
    return 2;
  }
  std::string group = argv[i];
  ctl::Args args(argv + i + 1, argv + argc);
  for (const auto& g : kGroups) {
    if (group != g.name) continue;
    try {
      ctl::Context ctx(config);
      return g.run(ctx, args);
    } catch (const ctl::UsageError& e) {
      std::cerr << "sakura-ctl: " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "sakura-ctl: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "sakura-ctl: unknown group '" << group << "'\n";
  usage(std::cerr);
  return 2;
}
