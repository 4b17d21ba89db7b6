#include "bench/plan.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace bench {

Slice slice(std::uint64_t total, std::uint32_t workers, std::uint32_t k) {
  if (workers == 0) return {};
  std::uint64_t base = total / workers, extra = total % workers;
  Slice s;
  s.count = base + (k < extra ? 1 : 0);
  s.begin = k * base + std::min<std::uint64_t>(k, extra);
  return s;
}

std::uint64_t total_connections(const Options& o) {
  switch (o.scenario) {
    case Scenario::conn: return o.connections;
    case Scenario::lock: return std::uint64_t{o.locks} * 3 + (o.lock_mode == LockMode::responder ? o.workers : 0);
    default: return std::uint64_t{o.publishers} + o.subscribers;
  }
}

std::uint32_t auto_source_addresses(std::uint64_t connections) {
  auto n = (connections + kConnectionsPerSourceAddress - 1) / kConnectionsPerSourceAddress;
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(n, 1));
}

std::string source_address(std::uint64_t index, std::uint32_t count) {
  std::uint64_t i = count ? index % count : 0;
  // 253 usable hosts per /24 (.2 to .254), starting in 127.0.0.0/24.
  std::uint64_t net = i / 253, host = 2 + i % 253;
  return fmt::format("127.{}.{}.{}", (net >> 8) & 0xFF, net & 0xFF, host);
}

std::uint64_t deliveries_per_message(Scenario s, std::uint32_t subscribers) {
  switch (s) {
    case Scenario::fanin:
    case Scenario::fanout: return subscribers;
    case Scenario::p2p:
    case Scenario::lock: return 1;
    case Scenario::conn: return 0;
  }
  return 0;
}

std::string publish_topic(Scenario s, const std::string& run, std::uint64_t publisher) {
  switch (s) {
    case Scenario::fanin: return fmt::format("sb/{}/in/{}", run, publisher);
    case Scenario::fanout: return fmt::format("sb/{}/out", run);
    default: return fmt::format("sb/{}/p2p/{}", run, publisher);
  }
}

std::string subscribe_filter(Scenario s, const std::string& run, std::uint64_t subscriber) {
  switch (s) {
    case Scenario::fanin: return fmt::format("sb/{}/in/+", run);
    case Scenario::fanout: return fmt::format("sb/{}/out", run);
    default: return fmt::format("sb/{}/p2p/{}", run, subscriber);
  }
}

Tally tally(std::uint64_t expected, std::uint64_t distinct, std::uint64_t received) {
  Tally t;
  t.lost = expected > distinct ? expected - distinct : 0;
  t.duplicates = received > distinct ? received - distinct : 0;
  return t;
}

std::uint64_t due(double rate, double elapsed) {
  if (rate <= 0 || elapsed <= 0) return 0;
  return static_cast<std::uint64_t>(std::floor(rate * elapsed));
}

double per_second(std::uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

double kib_per_connection(std::uint64_t before, std::uint64_t after, std::uint64_t connections) {
  if (connections == 0 || after <= before) return 0.0;
  return static_cast<double>(after - before) / static_cast<double>(connections);
}

std::string lockno(std::uint64_t index) { return fmt::format("B{:010}", index % 10'000'000'000ULL); }

}  // namespace bench
