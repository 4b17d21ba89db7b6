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
};

using MessagePtr = std::shared_ptr<const Message>;

inline MessagePtr make_message(std::string topic, std::string payload, std::uint8_t qos = 0,
                               bool retain = false) {
  return std::make_shared<const Message>(Message{std::move(topic), std::move(payload), qos, retain});
}

}  // namespace broker
