// sakura-broker: the composition root. Reads the configuration, builds the broker and plugs in
// the modules (auth, lock rules, storage, HTTP) through the broker's hooks. Nothing below this
// file knows about more than its own module.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>

#include "broker/server.hpp"
#include "config.hpp"
#include "descriptors.hpp"
#include "logging.hpp"
#include "storage/data_dir.hpp"
#include "wiring.hpp"

extern char** environ;

namespace po = boost::program_options;

int main(int argc, char** argv) {
  po::options_description opts("sakura-broker options");
  std::vector<std::string> sets;
  std::string config_file, port_file;
  opts.add_options()("help,h", "show this help")("version", "print the version")(
      "config,c", po::value(&config_file), "INI configuration file")("set", po::value(&sets)->composing(),
                                                                     "override a setting: --set section.key=value")(
      "port-file", po::value(&port_file), "write the bound ports here (one 'name port' a line)")(
      "print-config", "print the effective configuration and exit")("print-schema",
                                                                    "print every setting as a Markdown table and exit");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "sakura-broker: " << e.what() << "\n" << opts;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "sakura-broker " << SAKURA_VERSION << "\n";
    return 0;
  }

  if (vm.count("print-schema")) {
    std::cout << "| key | default | meaning |\n|---|---|---|\n";
    for (auto& k : app::schema()) {
      std::string def = k.default_value.empty() ? "unset" : "`" + k.default_value + "`";
      std::string help = k.help;
      if (!k.choices.empty()) {
        help += " (";
        for (std::size_t i = 0; i < k.choices.size(); ++i) help += (i ? ", `" : "`") + k.choices[i] + "`";
        help += ")";
      }
      std::cout << "| `" << k.key << "` | " << def << " | " << help << " |\n";
    }
    return 0;
  }

  app::Config config;
  try {
    if (!config_file.empty()) config.load_file(config_file);
    config.load_environment(environ);
    for (auto& s : sets) config.set(s);
  } catch (const std::exception& e) {
    std::cerr << "sakura-broker: configuration error: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("print-config")) {
    for (auto& [k, v] : config.dump()) std::cout << k << " = " << v << "\n";
    return 0;
  }

  app::Logging logging(config.str("log.level"));
  auto log = logging.get("main");
  app::prepare_descriptors(*log);  // before any worker thread exists
  // Signals are caught from before the port file exists: whoever reads it may signal at once.
  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM, SIGHUP);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    // Everything the broker creates is its own only: sakura.db may hold plain passwords.
    storage::restrict_umask();
    storage::prepare_data_dir(config.str("node.data_dir"), *log);
    app::Application application(config, logging);
    application.start();
    if (!port_file.empty()) {
      auto tmp = port_file + ".tmp";
      {
        std::ofstream out(tmp);
        for (auto& [name, port] : application.ports()) out << name << " " << port << "\n";
      }
      // Port numbers are no secret (ss shows them); monitoring under another user may read them.
      std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                            std::filesystem::perms::group_read | std::filesystem::perms::others_read);
      std::filesystem::rename(tmp, port_file);  // readers never see a half-written file
    }
    log->info("sakura-broker {} started", SAKURA_VERSION);

    std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                               int sig) {
      if (!ec && sig == SIGHUP) {  // certificate reload; keep running
        application.reload_certificates();
        return signals.async_wait(on_signal);
      }
      log->info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    };
    signals.async_wait(on_signal);
    signals_io.run();
    application.stop();
    log->info("stopped");
  } catch (const std::exception& e) {
    log->critical("cannot start: {}", e.what());
    return 1;
  }
  return 0;
}
