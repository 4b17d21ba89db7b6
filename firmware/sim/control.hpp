#pragma once
// --control: commands on stdin that do to a lock what happens in the field (a network cut, a power
// cut, a key turned), so tests can act on one lock of a running fleet.
#include <memory>
#include <vector>

#include "sim_lock.hpp"

namespace locksim {

// Starts a detached thread reading stdin until EOF. It never touches a lock directly: every
// command is posted to the lock's own io_context. `locks` must outlive the process's run.
void start_control(const std::vector<std::unique_ptr<SimLock>>& locks);

}  // namespace locksim
