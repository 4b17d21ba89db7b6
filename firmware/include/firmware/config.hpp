#pragma once
// Sizes fixed at build time and the settings one lock runs with. Everything the core holds lives
// inside LockCore, so sizeof(LockCore) is the lock's whole RAM budget for networking, OTA and
// behaviour; an MCU port places one LockCore in static storage.
#include <cstddef>
#include <cstdint>

namespace firmware {

using Millis = std::uint64_t;

// Largest MQTT packet the lock accepts. An OTA offer (JSON with a URL) is the biggest thing a lock
// is sent; larger packets are skipped whole, never buffered.
constexpr std::size_t mqtt_rx_capacity = 768;
// Largest packet the lock sends: CONNECT with credentials and will, or a /fw report.
constexpr std::size_t mqtt_tx_capacity = 384;
// An HTTP response head (status line and headers) must fit here; the body streams to the slot.
constexpr std::size_t http_head_capacity = 1024;
constexpr std::size_t http_request_capacity = 384;
// Bytes read back per step when hashing the written image.
constexpr std::size_t verify_chunk = 256;

constexpr std::size_t lockno_max = 16;
constexpr std::size_t password_max = 64;
constexpr std::size_t host_max = 64;
constexpr std::size_t path_max = 192;
constexpr std::size_t version_max = 32;
constexpr std::size_t topic_max = lockno_max + 8;

struct LockConfig {
  char lockno[lockno_max + 1] = {};  // also the MQTT client id and username
  char password[password_max + 1] = {};
  char broker_host[host_max + 1] = {};
  std::uint16_t broker_port = 1883;
  bool broker_tls = false;
  char version[version_max + 1] = {};  // the firmware version now running
  // Set by the platform for the first boot after an update, so the lock can report where it came
  // from; empty otherwise.
  char previous_version[version_max + 1] = {};

  std::uint8_t protocol_level = 4;  // 4: MQTT 3.1.1; 3: MQTT 3.1, as the older locks in the field
  std::uint16_t keepalive_s = 60;
  Millis relock_ms = 5000;            // an unlocked bolt locks again after this
  Millis connect_timeout_ms = 10000;  // TCP (and TLS) connect plus CONNACK
  Millis ping_timeout_ms = 10000;     // PINGREQ unanswered this long: the link is dead
  // Reconnect delay: doubles per failed attempt from backoff_min_ms up to backoff_max_ms, and the
  // lock waits a random time between half of it and all of it ("equal jitter").
  Millis backoff_min_ms = 1000;
  Millis backoff_max_ms = 60000;
  // OTA: bytes asked for per HTTP range request, idle time that counts as a dropped download, and
  // how many drops in a row give up the update.
  std::uint32_t ota_range_bytes = 16384;
  Millis ota_idle_timeout_ms = 15000;
  std::uint8_t ota_max_retries = 8;
};

// Copies a NUL-terminated string into a fixed field; false (and an empty field) when it does not
// fit, so configuration errors surface instead of truncating a password.
bool set_field(char* field, std::size_t capacity, const char* value);
template <std::size_t N>
bool set_field(char (&field)[N], const char* value) {
  return set_field(field, N, value);
}

}  // namespace firmware
