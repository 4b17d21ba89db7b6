#include "workers.hpp"

#include <fmt/core.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace locksim {

Slice fork_workers(std::size_t total, std::size_t per_process) {
  Slice self{0, total < per_process ? total : per_process, {}};
  pid_t parent = ::getpid();
  for (std::size_t first = per_process; first < total; first += per_process) {
    std::fflush(stdout);  // nothing buffered may be printed twice
    pid_t pid = ::fork();
    if (pid < 0) {
      fmt::print(stderr, "sakura-lock: fork failed: {}\n", std::strerror(errno));
      break;
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);  // the parent died before the line above
      return Slice{first, total - first < per_process ? total - first : per_process, {}};
    }
    self.workers.push_back(pid);
  }
  return self;
}

bool stop_workers(const std::vector<pid_t>& workers, int sig) {
  bool clean = true;
  for (pid_t pid : workers) ::kill(pid, sig);
  for (pid_t pid : workers) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    clean = clean && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return clean;
}

}  // namespace locksim
