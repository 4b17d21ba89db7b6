#include "auth/store_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace auth {

StoreLock::StoreLock(const std::string& data_dir) : path_((std::filesystem::path(data_dir) / "sakura.lock").string()) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  held_ = fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);
}

void StoreLock::keep_until_exit() { fd_ = -1; }

}  // namespace auth
