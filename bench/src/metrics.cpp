#include "bench/metrics.hpp"

#include "bench/plan.hpp"

namespace bench {
namespace {

constexpr double kMs = 1e6;  // histograms hold nanoseconds

void add_quantiles(std::vector<Metric>& m, const Report& r, const std::string& hist, const std::string& prefix) {
  auto it = r.histograms.find(hist);
  if (it == r.histograms.end() || it->second.count() == 0) return;
  const Histogram& h = it->second;
  m.push_back({prefix + "_p50_ms", h.quantile(0.50) / kMs, "ms"});
  m.push_back({prefix + "_p99_ms", h.quantile(0.99) / kMs, "ms"});
  m.push_back({prefix + "_p999_ms", h.quantile(0.999) / kMs, "ms"});
  m.push_back({prefix + "_max_ms", h.max() / kMs, "ms"});
}

double count(const Report& r, const char* name) { return static_cast<double>(r.get(name)); }

}  // namespace

std::vector<Metric> metrics_for(const Options& o, const Report& r) {
  std::vector<Metric> m;
  m.push_back({"connected", count(r, "connected"), "connections"});
  m.push_back({"connect_failed", count(r, "failed"), "connections"});
  switch (o.scenario) {
    case Scenario::conn:
      m.push_back({"connect_per_s", per_second(r.get("connected"), r.seconds("first_connect", "last_connack")),
                   "connections/s"});
      m.push_back({"held", count(r, "held"), "connections"});
      m.push_back({"dropped_while_held", count(r, "dropped_while_held"), "connections"});
      add_quantiles(m, r, "connect_ns", "connect");
      break;
    case Scenario::fanin:
    case Scenario::fanout:
    case Scenario::p2p: {
      auto t = tally(r.get("expected"), r.get("distinct"), r.get("received"));
      m.push_back({"sent", count(r, "sent"), "messages"});
      m.push_back({"received", count(r, "received"), "messages"});
      m.push_back({"expected", count(r, "expected"), "messages"});
      m.push_back({"lost", static_cast<double>(t.lost), "messages"});
      m.push_back({"duplicates", static_cast<double>(t.duplicates), "messages"});
      double expected = count(r, "expected");
      m.push_back({"lost_pct", expected > 0 ? 100.0 * static_cast<double>(t.lost) / expected : 0.0, "%"});
      m.push_back({"sent_per_s", per_second(r.get("sent"), r.seconds("first_publish", "last_publish")), "msg/s"});
      m.push_back(
          {"delivered_per_s", per_second(r.get("received"), r.seconds("first_publish", "last_delivery")), "msg/s"});
      m.push_back({"window_resets", count(r, "window_resets"), ""});
      m.push_back({"dropped", count(r, "dropped"), "connections"});
      add_quantiles(m, r, "latency_ns", "latency");
      break;
    }
    case Scenario::lock:
      m.push_back({"pairs", count(r, "pairs"), "pairs"});
      m.push_back({"unlocks", count(r, "unlocks"), "unlocks"});
      m.push_back({"missing_unlocks", count(r, "missing_unlocks"), "unlocks"});
      m.push_back({"unexpected_unlocks", count(r, "unexpected_unlocks"), "unlocks"});
      m.push_back({"pairs_skipped", count(r, "pairs_skipped"), "pairs"});
      m.push_back({"unlocks_per_s", per_second(r.get("unlocks"), r.seconds("first_pair", "last_unlock")), "unlocks/s"});
      m.push_back({"dropped", count(r, "dropped"), "connections"});
      add_quantiles(m, r, "unlock_ns", "unlock");
      break;
  }
  return m;
}

double ready_deadline(const Options& o) {
  double n = static_cast<double>(total_connections(o));
  // Without a set rate, assume no slower than 500 connections a second before calling it wedged.
  double pace = o.connect_rate > 0 ? n / o.connect_rate : n / 500.0;
  return pace + o.connect_timeout + 30;
}

double run_deadline(const Options& o) {
  switch (o.scenario) {
    case Scenario::conn: return o.hold + 30;
    case Scenario::lock: return o.duration + o.drain + o.pair_gap_ms / 1e3 + 30;
    default: return o.duration + o.drain + 30;
  }
}

}  // namespace bench
