#pragma once
// What the lock core needs from the device it runs on. The core calls these; the device calls the
// core back (LockCore::on_link_*, on_bolt_changed, tick) when something happens. None of these may
// block: a connect or a send only starts the work.
#include <cstddef>
#include <cstdint>

#include "firmware/config.hpp"

namespace firmware {

// The two network conversations a lock has: its MQTT session and an OTA download.
enum class Link : std::uint8_t { mqtt = 0, http = 1 };

enum class Bolt : std::uint8_t { open = 0, locked = 1, moving = 2 };

// One line of "what the lock did", for a serial console or the simulator's output.
enum class Note : std::uint8_t {
  connecting,
  connected,
  connect_refused,  // detail: CONNACK return code
  disconnected,     // detail: why
  backoff,          // detail: delay in ms
  subscribe_refused,
  status_sent,  // detail: "0" or "1"
  unlock_received,
  relocking,
  bad_packet,    // detail: what was wrong
  ota_offer,     // detail: version
  ota_progress,  // detail: percent
  ota_retry,
  ota_failed,  // detail: reason
  ota_verified,
  restarting,
};
const char* to_string(Note n);

class Platform {
 public:
  // Starts connecting; the platform answers with LockCore::on_link_up or on_link_down.
  virtual void link_open(Link link, const char* host, std::uint16_t port, bool tls) = 0;
  // Queues all `size` bytes or none. False means the link cannot take them (closed, or its
  // send buffer is full); the core then treats the link as broken.
  virtual bool link_send(Link link, const std::uint8_t* data, std::size_t size) = 0;
  // Closes at once. No on_link_down follows a close the core asked for.
  virtual void link_close(Link link) = 0;

  virtual Millis now_ms() = 0;  // monotonic
  virtual std::uint32_t random32() = 0;

  virtual void bolt_drive(Bolt target) = 0;  // open or locked; report arrival with on_bolt_changed
  virtual Bolt bolt_sense() = 0;

  // The inactive firmware slot: erased for an image of `size` bytes, written in order, read back
  // for verification, and activated (booted next) only with a verified image. After
  // slot_activate the platform restarts the lock, which then runs `version`.
  virtual bool slot_prepare(std::uint32_t size) = 0;
  virtual bool slot_write(std::uint32_t offset, const std::uint8_t* data, std::size_t size) = 0;
  virtual bool slot_read(std::uint32_t offset, std::uint8_t* data, std::size_t size) = 0;
  virtual void slot_activate(const char* version) = 0;

  virtual void note(Note what, const char* detail) = 0;

 protected:
  ~Platform() = default;
};

}  // namespace firmware
