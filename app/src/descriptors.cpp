#include "descriptors.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace app {

void prepare_descriptors(spdlog::logger& log) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    auto before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0)
      log.info("open files: soft limit raised from {} to {}", before, limit.rlim_cur);
    else limit.rlim_cur = before;
  }
  constexpr rlim_t cap = rlim_t{1} << 20;
  auto slots = limit.rlim_cur == RLIM_INFINITY ? cap : std::min(limit.rlim_cur, cap);
  if (slots < 2) return;
  // A descriptor duplicated onto the highest slot makes the kernel size the table for all of
  // them at once; closing it leaves the table as it is.
  int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (probe < 0) return;
  int high = ::fcntl(probe, F_DUPFD_CLOEXEC, static_cast<int>(slots - 1));
  if (high >= 0) ::close(high);
  else log.warn("open files: could not reserve {} descriptor slots: {}", slots, std::strerror(errno));
  ::close(probe);
}

std::size_t open_files_limit() {
  constexpr std::size_t unlimited = std::size_t{1} << 20;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return unlimited;
  return std::min<std::size_t>(limit.rlim_cur, unlimited);
}

DescriptorBudget descriptor_budget(std::size_t open_files, std::size_t reserved) {
  auto reserve = std::min(reserved, open_files / 2);
  return {open_files - reserve, std::max<std::size_t>(1, std::min<std::size_t>(512, reserve / 2))};
}

}  // namespace app
