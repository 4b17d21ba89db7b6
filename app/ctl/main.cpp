// sakura-ctl [options] <group> <command> [args]: see ctl.hpp for how commands reach the stores.
// Reads the configuration exactly as sakura-broker does, so it finds the same stores and the same
// ops bind.
#include <iostream>

#include "ctl.hpp"
#include "storage/data_dir.hpp"

extern char** environ;

namespace {

// One line per command; each group is a cmd_<group>.cpp of its own.
const ctl::Group kGroups[] = {
    {"user",
     "user add <name> [--password P] [--superuser] [--ttl D] | del <name> | show <name> | list [--max N]\n"
     "  user acl <name> <filter> <1|2|3|del>        (1 subscribe, 2 publish, 3 both)",
     ctl::run_user},
    {"device",
     "device add <lockno> | list [--after L] [--limit N] | show <lockno> | remove <lockno>\n"
     "  device reissue <lockno>                      (a new password, printed once)\n"
     "  device bindcodes <lockno> [--morf m|f]       (new binding codes, printed once)",
     ctl::run_device},
    {"binding", "binding list --lock L | --user U | bind <userno> <lockno> <m|f> | unbind <userno>", ctl::run_binding},
    {"credential", "credential list <userno> | revoke <key>   (keys issued to a WeChat user)", ctl::run_credential},
    {"firmware",
     "firmware upload <file> --version V | list | progress <lockno>\n"
     "  firmware offer <version> <lockno>...         (running broker)",
     ctl::run_firmware},
    {"client", "client list [--user U] [--limit N] | show <client_id> | kick <client_id>   (running broker)",
     ctl::run_client},
    {"session", "session list [--limit N]                     (running broker)", ctl::run_session},
    {"lock", "lock status <lockno> [--events N] | events <lockno> [--limit N] [--before ID]", ctl::run_lock},
    {"check", "check [--timeout S]                          (the configuration, then every store)", ctl::run_check},
    {"migrate", "migrate [--dry-run]                          (the SQL schema's steps; docs/migration.md)",
     ctl::run_migrate},
};

void usage(std::ostream& out, const ctl::po::options_description& options) {
  out << "usage: sakura-ctl [options] <group> <command> [args]\n\n"
         "Online (a broker answers on http.ops_bind, or --url) commands go to its admin API;\n"
         "offline they run here on the stores of the configuration (node.data_dir, Redis, SQL).\n\n"
      << options << "\ncommands:\n";
  for (const auto& g : kGroups) out << "  " << g.usage << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = ctl::po;
  storage::restrict_umask();  // files it creates (sakura.db, firmware) hold secrets: 0600
  po::options_description options("options");
  options.add_options()("help,h", "this text")("config,c", po::value<std::string>(), "the broker's config file")(
      "set", po::value<std::vector<std::string>>()->composing(), "key=value, after the file and SAKURA_* (repeatable)")(
      "json", po::bool_switch(), "print the API's JSON instead of tables")(
      "online", po::bool_switch(), "require the running broker")("offline", po::bool_switch(),
                                                                 "never contact a broker: work on the stores")(
      "url", po::value<std::string>(), "the broker's ops bind, http://HOST:PORT (default: http.ops_bind)")(
      "token", po::value<std::string>(), "admin token (default: http.admin_token or <data_dir>/admin_token)");
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::vector<std::string>>(), "");
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description pos;
  pos.add("command", -1);
  po::variables_map vm;
  std::vector<std::string> rest;
  try {
    // Global options come before the group; everything from the group on is the command's.
    auto parsed = po::command_line_parser(argc, argv)
                      .options(all)
                      .positional(pos)
                      .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
                      .allow_unregistered()
                      .run();
    po::store(parsed, vm);
    po::notify(vm);
    rest = po::collect_unrecognized(parsed.options, po::include_positional);
  } catch (const po::error& e) {
    std::cerr << "sakura-ctl: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help") || rest.empty()) {
    usage(vm.count("help") ? std::cout : std::cerr, options);
    return vm.count("help") ? 0 : 2;
  }
  app::Config config;
  try {
    if (vm.count("config")) config.load_file(vm["config"].as<std::string>());
    config.load_environment(environ);
    if (vm.count("set"))
      for (auto& s : vm["set"].as<std::vector<std::string>>()) config.set(s);
  } catch (const std::exception& e) {
    std::cerr << "sakura-ctl: configuration error: " << e.what() << "\n";
    return 2;
  }
  if (vm["online"].as<bool>() && vm["offline"].as<bool>()) {
    std::cerr << "sakura-ctl: --online and --offline exclude each other\n";
    return 2;
  }
  auto mode = vm["online"].as<bool>()    ? ctl::Mode::online
              : vm["offline"].as<bool>() ? ctl::Mode::offline
                                         : ctl::Mode::automatic;
  if (vm.count("url") && mode == ctl::Mode::automatic) mode = ctl::Mode::online;
  std::string group = rest[0];
  ctl::Args args(rest.begin() + 1, rest.end());
  for (const auto& g : kGroups) {
    if (group != g.name) continue;
    try {
      ctl::Ctl c(config, mode, vm.count("url") ? vm["url"].as<std::string>() : "",
                 vm.count("token") ? vm["token"].as<std::string>() : "", vm["json"].as<bool>());
      return g.run(c, args);
    } catch (const ctl::UsageError& e) {
      std::cerr << "sakura-ctl: " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "sakura-ctl: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "sakura-ctl: unknown group '" << group << "'\n";
  usage(std::cerr, options);
  return 2;
}
