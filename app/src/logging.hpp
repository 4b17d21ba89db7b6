#pragma once
// One thin logging facade: every component gets its own named spdlog logger (the component shows
// in each line) writing to one shared stderr sink. Loggers are passed in, never looked up
// globally.
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace app {

class Logging {
 public:
  explicit Logging(const std::string& level);
  std::shared_ptr<spdlog::logger> get(const std::string& component) const;

 private:
  spdlog::sink_ptr sink_;
  spdlog::level::level_enum level_;
};

}  // namespace app
