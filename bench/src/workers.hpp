#pragma once
// Forked worker processes: each holds its own slice of connections (a process may open at most
// 20,000 files here) and its own io_context. The parent only coordinates: it waits until every
// worker says "ready" (connected and subscribed), runs `on_all_ready` (a memory sample of the
// broker), then tells all to go at once and collects their reports. Pipes carry both directions;
// the parent's deadlines SIGKILL a worker that overruns, so a run always ends.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/report.hpp"

namespace bench {

struct WorkerContext {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  int to_parent = -1;    // write "ready" then the report here
  int from_parent = -1;  // one byte 'g' starts the measured phase; EOF means stop
};

struct WorkersResult {
  Report merged;
  std::uint32_t reported = 0;
  std::vector<std::string> errors;
};

using WorkerBody = std::function<Report(const WorkerContext&)>;

WorkersResult run_workers(std::uint32_t count, const WorkerBody& body, double ready_deadline_s, double run_deadline_s,
                          const std::function<void()>& on_all_ready);

// Called by a worker's body once its connections are up.
void signal_ready(const WorkerContext& ctx);

}  // namespace bench
