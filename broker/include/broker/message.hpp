#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace broker {

// An application message as routed: immutable once built, shared by every subscriber it goes to
// (fan-out never copies topic or payload). QoS and retain are as published; each delivery
// downgrades QoS to the subscription's and decides its own RETAIN flag.
struct Message {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  // Its name in the persistence store (persist::MessageId), 0 while it has none. Set at most once,
  // by Broker::route on the routing thread before the message reaches another worker or the
  // retained store (or by Broker::restore before the workers run), so readers need no lock; it
  // is mutable because the message is otherwise immutable and already shared with observers.
  mutable std::uint64_t persist_id = 0;
};

using MessagePtr = std::shared_ptr<const Message>;

inline MessagePtr make_message(std::string topic, std::string payload, std::uint8_t qos = 0, bool retain = false) {
  return std::make_shared<const Message>(Message{std::move(topic), std::move(payload), qos, retain, 0});
}

}  // namespace broker
