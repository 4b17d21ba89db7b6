#include "storage/open.hpp"

#include <spdlog/spdlog.h>

namespace storage {

Result<Storage> open(const Config&, boost::asio::io_context&, std::shared_ptr<spdlog::logger>) {
  return Result<Storage>::failure("storage backends not built yet");
}

}  // namespace storage
