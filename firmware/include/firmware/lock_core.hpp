#pragma once
// The whole lock: its MQTT session, the bolt, and OTA, behind one event interface a device (or
// the simulator) drives. Thread model: single-threaded; the platform calls one of these at a time.
//
//   /<lockno>/statu  lock -> broker   "1" locked, "0" open, on connect and on every change;
//                                     "-2" is the Last Will (QoS 1, not retained)
//   /<lockno>/call   broker -> lock   "unlock": open, then lock again after relock_ms (a
//                                     retained "unlock" is ignored: it is not a live command)
//   /<lockno>/ota    broker -> lock   JSON offer {version, url, size, sha256}
//   /<lockno>/fw     lock -> broker   JSON {version, state[, reason, progress, received, size]}
#include <cstdint>
#include <string_view>

#include "firmware/config.hpp"
#include "firmware/mqtt_client.hpp"
#include "firmware/ota.hpp"
#include "firmware/platform.hpp"

namespace firmware {

class LockCore final : MqttHandler, OtaHost {
 public:
  // Copies `config`; nothing is allocated here or later.
  LockCore(Platform& platform, const LockConfig& config);
  LockCore(const LockCore&) = delete;
  LockCore& operator=(const LockCore&) = delete;

  void start();
  // Disconnects cleanly (no will) and stops every timer, e.g. before a restart.
  void stop();

  void on_link_up(Link link);
  void on_link_bytes(Link link, const std::uint8_t* data, std::size_t size);
  void on_link_down(Link link);
  // The bolt sensor changed (an interrupt on a device; the simulator's actuator finishing).
  void on_bolt_changed();
  void tick();
  // When tick() is due next (platform milliseconds); 0 means at once.
  Millis next_wake() const;

  const LockConfig& config() const { return config_; }
  const MqttClient& mqtt() const { return mqtt_; }
  const Ota& ota() const { return ota_; }
  bool relock_pending() const { return relock_at_ != 0; }

 private:
  void on_mqtt_connected() override;
  void on_mqtt_message(std::string_view topic, std::string_view payload, bool retained) override;
  bool ota_report(std::string_view json, bool final) override;
  void ota_install(const char* version) override;
  void unlock();
  void publish_status();

  Platform& platform_;
  LockConfig config_;
  char topic_statu_[topic_max + 1];
  char topic_call_[topic_max + 1];
  char topic_ota_[topic_max + 1];
  char topic_fw_[topic_max + 1];
  MqttClient mqtt_;
  Ota ota_;
  Millis relock_at_ = 0;          // 0: no relock pending
  Bolt reported_ = Bolt::moving;  // last status published on this connection
};

}  // namespace firmware
