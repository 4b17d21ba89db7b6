#pragma once
// The lock's MQTT 3.1.1 session as a state machine with no I/O of its own: the platform reports
// link events and bytes, tick() runs the timers, next_wake() says when tick() is due. Clean
// session only, QoS 0/1 out, QoS 0/1/2 in; nothing is retransmitted, because after a reconnect the
// lock republishes its status anyway.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firmware/config.hpp"
#include "firmware/mqtt_wire.hpp"
#include "firmware/platform.hpp"

namespace firmware {

class MqttHandler {
 public:
  // CONNACK accepted: subscribe and publish from here.
  virtual void on_mqtt_connected() = 0;
  // `retained`: a stored message replayed because the lock subscribed, not a live one.
  virtual void on_mqtt_message(std::string_view topic, std::string_view payload, bool retained) = 0;

 protected:
  ~MqttHandler() = default;
};

class MqttClient {
 public:
  enum class State : std::uint8_t { stopped, waiting, connecting, awaiting_connack, connected };

  MqttClient(Platform& platform, const LockConfig& config, MqttHandler& handler);

  // The first attempt waits a random part of backoff_min_ms, so locks powered up together by the
  // same outage do not all connect in the same instant.
  void start();
  // Sends DISCONNECT when connected (so no will is published) and stays down.
  void stop();

  void on_link_up();
  void on_link_bytes(const std::uint8_t* data, std::size_t size);
  void on_link_down();
  void tick();
  Millis next_wake() const;

  // False when not connected or the packet does not fit; no queueing while offline.
  bool publish(std::string_view topic, std::string_view payload, std::uint8_t qos);
  bool subscribe(const std::string_view* filters, std::size_t count, std::uint8_t qos);

  State state() const { return state_; }
  bool connected() const { return state_ == State::connected; }
  // Failed attempts since the last connection that lasted; the next delay grows with it.
  std::uint32_t attempts() const { return attempt_; }

  struct Counters {
    std::uint32_t connects = 0;
    std::uint32_t pings = 0;
    std::uint32_t bad_packets = 0;
    std::uint32_t skipped_oversize = 0;
    std::uint32_t received = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  void fail(const char* why, bool close_link = true);
  bool send(std::size_t size);
  // Handles one whole packet; false when the connection was dropped because of it.
  bool handle(const wire::Header& h, const std::uint8_t* body);
  bool handle_connected(const wire::Header& h, const std::uint8_t* body);
  std::uint16_t next_packet_id();
  Millis backoff_delay();

  Platform& platform_;
  const LockConfig& config_;
  MqttHandler& handler_;

  State state_ = State::stopped;
  Millis deadline_ = 0;  // waiting: when to connect; connecting/awaiting_connack: give up
  Millis connected_at_ = 0;
  Millis last_tx_ = 0;
  Millis ping_sent_at_ = 0;
  bool ping_outstanding_ = false;
  std::uint32_t attempt_ = 0;
  std::uint32_t generation_ = 0;  // bumped by fail(), so loops notice the link went away
  std::uint16_t packet_id_ = 0;
  Counters counters_;

  char will_topic_[topic_max + 1];
  std::size_t rx_len_ = 0;
  std::uint32_t skip_ = 0;  // bytes of an oversize packet still to discard
  std::uint8_t rx_[mqtt_rx_capacity];
  std::uint8_t tx_[mqtt_tx_capacity];
};

}  // namespace firmware
