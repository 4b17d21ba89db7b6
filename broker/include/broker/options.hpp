#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "broker/codec/framer.hpp"
#include "broker/retained_store.hpp"
#include "broker/topic.hpp"

namespace broker {

// Limits and timings of the broker core (config section `limits` and friends). Every cap here
// bounds what one client can make the broker hold.
struct BrokerOptions {
  std::size_t max_packet_size = codec::default_max_packet_size;
  // QoS 1/2 messages sent to a client and not yet acknowledged; more wait in the session queue.
  std::uint16_t max_inflight = 32;
  // Offline (or over-the-window) queue per persistent session; beyond it messages are dropped and
  // counted.
  std::size_t max_queued_messages = 1000;
  std::size_t max_queued_bytes = 8 * 1024 * 1024;
  bool queue_qos0_offline = false;
  // Bytes waiting to be written to one connection; past it the client is a slow consumer and is
  // disconnected rather than allowed to grow the broker's memory.
  std::size_t max_write_queue_bytes = 4 * 1024 * 1024;
  std::size_t max_subscriptions_per_client = 1000;
  // PUBLISH topics, will topics, filters and restored state: deeper or longer ones are refused.
  TopicLimits topics;
  // What one client's subscriptions may make the broker hold (SubscriptionTree::footprint of each
  // filter: its tree nodes and the session's copy, counted pessimistically). 1,000 lock-sized
  // filters count about 700 KiB; 1,000 filters of 128 levels would count 25 MiB without it.
  std::size_t max_subscription_bytes = 1024 * 1024;
  std::size_t max_client_id_length = 1024;
  std::chrono::milliseconds connect_timeout{10'000};
  // Largest CONNECT: until it is authenticated a client costs at most this (plus the one read
  // that brought it) for connect_timeout. Client id, credentials and a will fit in far less.
  std::size_t max_connect_size = 64 * 1024;
  // Seconds. A client asking for a longer keepalive, or for none (0), gets this one: it is cut
  // after 1.5 x max_keepalive without a packet. 3.1.1 cannot tell the client (no CONNACK field);
  // the spec lets a server close a client it finds idle whatever its keepalive. 0 disables.
  std::uint16_t max_keepalive = 900;
  // Deliveries posted to one worker by the others and not yet run; past it, QoS 0 deliveries
  // across workers are shed (counted) instead of queued without bound. QoS 1/2 still go.
  std::size_t max_worker_backlog = 100'000;
  std::chrono::milliseconds session_expiry{std::chrono::hours(24 * 14)};
  std::chrono::milliseconds sys_interval{10'000};
  RetainedStore::Limits retained;
  // Bytes of message bodies the persistence store may hold (persistence.max_bytes); past it,
  // new messages for offline persistent sessions are dropped and counted.
  std::uint64_t persistence_max_bytes = std::uint64_t{1} << 30;
};

}  // namespace broker
