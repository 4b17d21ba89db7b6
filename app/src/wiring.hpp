#pragma once
// Application: builds every module from the configuration and wires them together.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "logging.hpp"

namespace broker {
class Persistence;
class Server;
}  // namespace broker
namespace http {
class HttpApi;
}
namespace lockrules {
class LockRules;
}
namespace storage {
struct Storage;
}

namespace app {

class Application {
 public:
  Application(const Config& config, const Logging& logging);
  ~Application();
  void start();
  void stop();
  // SIGHUP: re-reads the TLS certificates; connections already open keep theirs.
  void reload_certificates();
  std::vector<std::pair<std::string, std::uint16_t>> ports() const;

 private:
  const Config& config_;
  const Logging& logging_;
  std::unique_ptr<broker::Server> server_;
  std::shared_ptr<broker::Persistence> persistence_;  // after server_: closed and gone before it
  std::function<void()> reload_certificates_;
  std::shared_ptr<storage::Storage> storage_;
  std::shared_ptr<lockrules::LockRules> lockrules_;
  std::shared_ptr<http::HttpApi> http_;  // last: stopped and destroyed first
};

}  // namespace app
