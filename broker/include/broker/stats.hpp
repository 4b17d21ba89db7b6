#pragma once
#include <atomic>
#include <cstdint>

namespace broker {

// Broker-wide counters for $SYS and /metrics. Relaxed atomics: each is a tally, read for display.
struct Stats {
  std::atomic<std::uint64_t> clients_connected{0};
  std::atomic<std::uint64_t> clients_total{0};
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> messages_sent{0};
  std::atomic<std::uint64_t> messages_dropped{0};  // offline queue full, QoS 0 offline
  std::atomic<std::uint64_t> publish_denied{0};
  std::atomic<std::uint64_t> subscribe_denied{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> connect_refused{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<std::uint64_t> slow_consumers{0};
  std::atomic<std::uint64_t> keepalive_timeouts{0};
  std::atomic<std::uint64_t> wills_published{0};
  // Messages for offline persistent sessions not kept because the store was over its bytes limit.
  std::atomic<std::uint64_t> persistence_dropped{0};

  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    c.fetch_add(n, std::memory_order_relaxed);
  }
};

}  // namespace broker
