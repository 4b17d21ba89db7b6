#pragma once
// Broker-wide counters for $SYS and /metrics, kept per worker and summed on read.
//
// THREADING: a worker adds only to its own slot, which sits on its own cache lines, so the
// per-message counters never bounce a line between the workers' cores. The slot's counters are
// atomics only so that a reader on another thread (/metrics, $SYS) sees whole values; the owner
// updates them with a plain load and store, no locked instruction. Code off the workers (tests,
// a hook's thread) adds to a shared last slot with fetch_add. A read is a sum of relaxed loads:
// each counter is exact, the set is not one snapshot.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace broker {

enum class Stat : std::uint8_t {
  clients_connected,  // a gauge: decremented with sub()
  clients_total,
  messages_received,
  messages_sent,
  messages_dropped,  // offline queue full, QoS 0 offline
  publish_denied,
  subscribe_denied,
  bytes_received,
  bytes_sent,
  connect_refused,
  protocol_errors,
  slow_consumers,
  keepalive_timeouts,
  wills_published,
  // Messages for offline persistent sessions not kept because the store was over its bytes limit.
  persistence_dropped,
  // PUBLISH topics, will topics and filters refused by limits.max_topic_levels/max_topic_length.
  topics_rejected,
  // Filters refused by limits.max_subscriptions or limits.max_subscription_bytes.
  subscriptions_rejected,
  // CONNECTs over limits.max_connect_size (the connection is closed when its header arrives).
  connects_too_large,
  // QoS 0 deliveries to another worker dropped because it was over limits.max_worker_backlog.
  deliveries_shed,
  // Deliveries to offline persistent sessions refused because the store could not write.
  persistence_refused,
  // CONNECTs refused because their client id names another username's session.
  client_id_refused,
  // Sessions of another username ended because the connecting account owns the client id
  // (AuthResult::owns_client_id): a squatted id given back.
  client_id_reclaimed,
  count_
};

class Stats {
 public:
  explicit Stats(std::size_t workers = 1);

  // `worker` is the calling thread's worker index, or -1 off the workers.
  void add(int worker, Stat s, std::uint64_t n = 1) {
    auto& c = slot(worker)[index(s)];
    if (worker >= 0 && static_cast<std::size_t>(worker) < workers_)
      c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    else c.fetch_add(n, std::memory_order_relaxed);
  }
  // Gauges go down too; the unsigned sum wraps back to the right value.
  void sub(int worker, Stat s, std::uint64_t n = 1) { add(worker, s, ~n + 1); }
  std::uint64_t get(Stat s) const;
  // One worker's share (the connections it holds, for /metrics); the workers' shares and the
  // shared slot add up to get(s).
  std::uint64_t get(std::size_t worker, Stat s) const;

 private:
  static constexpr std::size_t index(Stat s) { return static_cast<std::size_t>(s); }
  struct Slot : std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Stat::count_)> {};
  Slot& slot(int worker) {
    auto i = static_cast<std::size_t>(worker);
    return slots_[worker >= 0 && i < workers_ ? i : workers_];
  }

  std::size_t workers_;
  std::unique_ptr<Slot[]> slots_;  // one per worker, then the shared one
};

}  // namespace broker
