// sakura-bench: the load tool. The parent process forks the workers, samples the broker's memory
// and CPU around the measured phase, merges the workers' reports and prints a table and one JSON
// line (always the last line of output, for scripts).
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "bench/metrics.hpp"
#include "bench/plan.hpp"
#include "bench/proc_stats.hpp"
#include "bench/stamp.hpp"
#include "credentials.hpp"
#include "scenarios.hpp"
#include "workers.hpp"

using namespace bench;

namespace {

std::map<std::string, std::string> settings_of(const Options& o, const std::string& run) {
  std::map<std::string, std::string> s = {
      {"scenario", to_string(o.scenario)},
      {"label", o.label},
      {"transport", to_string(o.transport)},
      {"broker", fmt::format("{}:{}", o.host, o.port)},
      {"run", run},
      {"workers", std::to_string(o.workers)},
  };
  switch (o.scenario) {
    case Scenario::conn:
      s["connections"] = std::to_string(o.connections);
      s["connect_rate"] = fmt::format("{}", o.connect_rate);
      s["hold_s"] = fmt::format("{}", o.hold);
      break;
    case Scenario::lock:
      s["locks"] = std::to_string(o.locks);
      s["pair_rate"] = fmt::format("{}", o.pair_rate);
      s["lock_mode"] = to_string(o.lock_mode);
      s["auth"] = o.auth_redis.empty() ? "anonymous" : "redis";
      s["qos"] = std::to_string(o.qos);
      s["duration_s"] = fmt::format("{}", o.duration);
      break;
    default:
      s["publishers"] = std::to_string(o.publishers);
      s["subscribers"] = std::to_string(o.subscribers);
      s["qos"] = std::to_string(o.qos);
      s["payload"] = std::to_string(o.payload);
      s["rate"] = fmt::format("{}", o.rate);
      s["inflight"] = std::to_string(o.inflight);
      s["duration_s"] = fmt::format("{}", o.duration);
      break;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (parsed.help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (!parsed.error.empty()) {
    fmt::print(stderr, "sakura-bench: {} (see --help)\n", parsed.error);
    return 2;
  }
  Options o = parsed.options;
  if (o.source_addrs == 0) o.source_addrs = auto_source_addresses(total_connections(o));
  const std::string run = fmt::format("{:x}{:04x}", ::getpid(), monotonic_ns() & 0xFFFF);

  bool seeded = false;
  if (o.scenario == Scenario::lock && !o.auth_redis.empty()) {
    auto err = store_credentials(o.auth_redis, run, o.locks, o.lock_mode == LockMode::responder, false);
    if (!err.empty()) {
      fmt::print(stderr, "sakura-bench: storing credentials: {}\n", err);
      return 1;
    }
    seeded = true;
  }

  std::optional<ProcSample> before, at_go, after;
  std::uint64_t go_ns = 0;
  if (o.broker_pid) before = sample_process(o.broker_pid);

  auto body = [&](const WorkerContext& ctx) {
    switch (o.scenario) {
      case Scenario::conn: return run_conn(o, ctx);
      case Scenario::lock: return run_lock(o, ctx, run);
      default: return run_messages(o, ctx, run);
    }
  };
  auto result = run_workers(o.workers, body, ready_deadline(o), run_deadline(o), [&] {
    if (o.broker_pid) at_go = sample_process(o.broker_pid);
    go_ns = monotonic_ns();
  });
  auto end_ns = monotonic_ns();
  if (o.broker_pid) after = sample_process(o.broker_pid);

  if (seeded) {
    auto err = store_credentials(o.auth_redis, run, o.locks, o.lock_mode == LockMode::responder, true);
    if (!err.empty()) fmt::print(stderr, "sakura-bench: removing credentials: {}\n", err);
  }

  Report& r = result.merged;
  for (auto& e : result.errors) r.fail(e);
  auto metrics = metrics_for(o, r);
  if (o.broker_pid) {
    if (!before || !at_go || !after) {
      r.fail(fmt::format("could not read /proc/{} (broker gone?)", o.broker_pid));
    } else {
      metrics.push_back({"broker_rss_kib", static_cast<double>(at_go->rss_kib), "KiB"});
      metrics.push_back({"broker_peak_rss_kib", static_cast<double>(after->hwm_kib), "KiB"});
      if (o.scenario == Scenario::conn)
        metrics.push_back({"broker_kib_per_connection",
                           kib_per_connection(before->rss_kib, at_go->rss_kib, r.get("connected")), "KiB"});
      double cpu = after->cpu_seconds - at_go->cpu_seconds;
      double wall = static_cast<double>(end_ns - go_ns) / 1e9;
      metrics.push_back({"broker_cpu_s", cpu, "s"});
      metrics.push_back({"broker_cpu_pct", wall > 0 ? 100.0 * cpu / wall : 0.0, "% of a core"});
      if (r.get("received"))
        metrics.push_back({"broker_cpu_us_per_msg", cpu * 1e6 / static_cast<double>(r.get("received")), "us"});
    }
  }
  rusage ru{};
  ::getrusage(RUSAGE_CHILDREN, &ru);
  double bench_cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  metrics.push_back({"bench_cpu_s", bench_cpu, "s (all workers, whole run)"});

  auto settings = settings_of(o, run);
  if (!o.json_only)
    std::fputs(render_table(fmt::format("sakura-bench {} against {}:{} ({})", to_string(o.scenario), o.host, o.port,
                                        o.label.empty() ? "unlabelled" : o.label),
                            metrics, r.failures)
                   .c_str(),
               stdout);
  std::puts(render_json(settings, metrics, r.failures).c_str());
  bool broken = !result.errors.empty() || result.reported != o.workers || r.get("connected") == 0;
  return broken ? 1 : 0;
}
