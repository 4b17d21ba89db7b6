#pragma once
// sakura-ctl: the operators' tool. main.cpp reads the configuration as sakura-broker does
// (--config, SAKURA_* environment, --set) and dispatches `sakura-ctl <group> <command> ...` to a
// command of one group (one cmd_<group>.cpp each, listed once in main.cpp's table).
//
// How a command reaches the stores: every command except `check` and `migrate` is one request to
// the admin API (docs/api.md). Online, it goes over HTTP to the running broker's ops bind
// (http.ops_bind) with the admin token. Offline (no broker answering there, or --offline), the
// same routes run inside sakura-ctl (http::HttpApi::call) over the stores opened as the broker
// opens them (storage::open, auth/'s CredentialStore): one implementation for both modes, and
// sakura-ctl never reads a store's tables itself. Offline on the embedded store it first takes
// <node.data_dir>/sakura.lock, which a running broker holds (auth/store_lock.hpp).
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "config.hpp"

namespace ctl {

namespace po = boost::program_options;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Reply {
  unsigned status = 0;
  std::string body;  // JSON
};

// Where admin requests go.
class Admin {
 public:
  virtual ~Admin() = default;
  // `target` is the path with its query, names already url-encoded. Throws Failure when the
  // broker or the stores cannot be reached.
  virtual Reply call(const std::string& method, const std::string& target, const std::string& body = "") = 0;
  virtual bool online() const = 0;
};

// The running broker's ops bind at `url` ("http://127.0.0.1:5006") with `token`.
std::unique_ptr<Admin> online_admin(const std::string& url, const std::string& token);
// The stores of `config`, opened in this process.
std::unique_ptr<Admin> offline_admin(const app::Config& config);

enum class Mode { automatic, online, offline };

class Ctl {
 public:
  Ctl(const app::Config& config, Mode mode, std::string url, std::string token, bool json)
      : config_(config), mode_(mode), url_(std::move(url)), token_(std::move(token)), json_(json) {}

  const app::Config& config() const { return config_; }
  bool json() const { return json_; }
  // Opened on first use: online when the broker answers (or was asked for), else offline.
  Admin& admin();
  // A command that needs the running broker (clients, sessions, firmware offer).
  Admin& broker();

  // Sends one admin request and prints the answer: the JSON as it came with --json, else a
  // table (`items`) or `key: value` lines. Returns the exit status: 0 for 2xx, 2 for a request
  // the API refused as malformed (400, 405, 413, 415), 1 for anything else (not found, conflict,
  // store down).
  int run(const std::string& method, const std::string& target, const std::string& body = "");
  int run_on(Admin& admin, const std::string& method, const std::string& target, const std::string& body = "");

 private:
  const app::Config& config_;
  Mode mode_;
  std::string url_, token_;
  bool json_;
  std::unique_ptr<Admin> admin_;
};

using Args = std::vector<std::string>;

// A command's own options and positional arguments (`positional` names them in order, each
// required). Throws UsageError naming what is wrong.
po::variables_map parse(const Args& args, const po::options_description& options,
                        const std::vector<std::string>& positional);
// Percent-encodes a path segment or query value.
std::string q(const std::string& value);
// A JSON string literal for `value`.
std::string json_string(const std::string& value);

// Prints a reply (see Ctl::run) and returns the exit status.
int print_reply(const Reply& reply, bool json);

// One group: its commands' usage lines for --help, and its runner (args start after the group).
struct Group {
  const char* name;
  const char* usage;  // one line per command
  int (*run)(Ctl& ctl, const Args& args);
};

int run_user(Ctl& ctl, const Args& args);
int run_device(Ctl& ctl, const Args& args);
int run_binding(Ctl& ctl, const Args& args);
int run_credential(Ctl& ctl, const Args& args);
int run_firmware(Ctl& ctl, const Args& args);
int run_client(Ctl& ctl, const Args& args);
int run_session(Ctl& ctl, const Args& args);
int run_migrate(Ctl& ctl, const Args& args);
int run_lock(Ctl& ctl, const Args& args);
int run_migrate(Ctl& ctl, const Args& args);
int run_check(Ctl& ctl, const Args& args);

}  // namespace ctl
