#pragma once
// A redis-server or mariadbd of the test's own (tests/storage/private_server.sh), so a fault
// test can SIGKILL and restart it on the same port while other tests keep the shared servers.
#include <cstdio>
#include <fstream>
#include <string>

#include "support.hpp"

namespace storage_test {

class PrivateServer {
 public:
  // `password` (Redis only) starts it with requirepass.
  PrivateServer(std::string kind, std::string dir, std::string password = "")
      : kind_(std::move(kind)), dir_(std::move(dir)), password_(std::move(password)) {}
  ~PrivateServer() { stop(); }

  // Starts it (on the previous port after a stop); answers false if the binary is missing.
  bool start() {
    std::string out = run("start " + dir_ + (port_ ? " " + std::to_string(port_) : ""));
    int p = std::atoi(out.c_str());
    if (p <= 0) return false;
    port_ = p;
    return true;
  }
  void stop() {
    if (port_) run("stop " + dir_);
  }
  int port() const { return port_; }

 private:
  std::string run(const std::string& args) {
    std::string cmd = (password_.empty() ? "" : "SAKURA_PRIVATE_REDIS_PASSWORD='" + password_ + "' ") +
                      std::string(SAKURA_STORAGE_TEST_DIR) + "/private_server.sh " + kind_ + " " + args;
    std::string out;
    if (FILE* f = popen(cmd.c_str(), "r")) {
      char buf[256];
      while (fgets(buf, sizeof buf, f)) out += buf;
      pclose(f);
    }
    return out;
  }

  std::string kind_;
  std::string dir_;
  std::string password_;  // test-chosen, no shell metacharacters
  int port_ = 0;
};

inline bool have_binary(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace storage_test
