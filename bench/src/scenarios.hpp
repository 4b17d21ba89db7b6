#pragma once
// The body each worker process runs for a scenario; it returns what it measured.
#include <map>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "bench/report.hpp"
#include "workers.hpp"

namespace bench {

Report run_conn(const Options& o, const WorkerContext& ctx);
Report run_messages(const Options& o, const WorkerContext& ctx, const std::string& run);
Report run_lock(const Options& o, const WorkerContext& ctx, const std::string& run);

}  // namespace bench
