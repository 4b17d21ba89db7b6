#pragma once
// Turns a merged report into the figures a scenario prints, and bounds how long workers may take.
#include <vector>

#include "bench/options.hpp"
#include "bench/report.hpp"

namespace bench {

std::vector<Metric> metrics_for(const Options& o, const Report& r);

// Seconds every worker may take to connect its share, and to run once told to go; the parent
// kills a worker that overruns, so a wedged broker cannot hang a run.
double ready_deadline(const Options& o);
double run_deadline(const Options& o);

}  // namespace bench
