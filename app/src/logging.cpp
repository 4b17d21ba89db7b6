#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace app {

Logging::Logging(const std::string& level)
    : sink_(std::make_shared<spdlog::sinks::stderr_color_sink_mt>()), level_(spdlog::level::from_str(level)) {
  sink_->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
}

std::shared_ptr<spdlog::logger> Logging::get(const std::string& component) const {
  auto log = std::make_shared<spdlog::logger>(component, sink_);
  log->set_level(level_);
  log->flush_on(spdlog::level::warn);
  return log;
}

}  // namespace app
