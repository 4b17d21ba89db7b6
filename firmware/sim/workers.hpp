#pragma once
// Splitting a large fleet over processes: each forked worker simulates one slice of the locks.
#include <sys/types.h>
#include <cstddef>
#include <vector>

namespace locksim {

struct Slice {
  std::size_t first = 0;  // index of the slice's first lock in the whole fleet
  std::size_t count = 0;
  std::vector<pid_t> workers;  // in the parent: the forked workers; empty in a worker
};

// Forks one worker per slice after the first, which stays with the calling process. Must run
// before any thread exists. A worker dies with its parent (PR_SET_PDEATHSIG), so killing the
// parent takes the whole fleet down, as a test killing "the simulator" expects.
Slice fork_workers(std::size_t total, std::size_t per_process);

// Forwards `sig` to every worker and waits for them; returns false if any did not exit cleanly.
bool stop_workers(const std::vector<pid_t>& workers, int sig);

}  // namespace locksim
