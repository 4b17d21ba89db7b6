#pragma once
// Application: builds every module from the configuration and wires them together.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "logging.hpp"

namespace broker {
class Server;
}

namespace app {

class Application {
 public:
  Application(const Config& config, const Logging& logging);
  ~Application();
  void start();
  void stop();
  std::vector<std::pair<std::string, std::uint16_t>> ports() const;

 private:
  const Config& config_;
  const Logging& logging_;
  std::unique_ptr<broker::Server> server_;
};


}  // namespace app
