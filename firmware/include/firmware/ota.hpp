#pragma once
// Over-the-air update: an offer on /<lockno>/ota names a version, URL, size and SHA-256; the image
// is fetched in HTTP ranges straight into the inactive slot, resumed from the last written byte
// after a drop, read back and hashed, and only a verified image is activated. Every step is
// reported as JSON through OtaHost (the lock publishes it on /<lockno>/fw).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firmware/config.hpp"
#include "firmware/http_range.hpp"
#include "firmware/platform.hpp"
#include "firmware/sha256.hpp"

namespace firmware {

class OtaHost {
 public:
  // `final` reports (a result, not progress) deserve QoS 1. False when it could not be sent
  // (offline); the OTA then repeats its last result on the next connect.
  virtual bool ota_report(std::string_view json, bool final) = 0;
  // A verified image is in the slot: shut down cleanly and boot it.
  virtual void ota_install(const char* version) = 0;

 protected:
  ~OtaHost() = default;
};

class Ota {
 public:
  enum class State : std::uint8_t {
    idle,
    connecting,
    awaiting_head,  // request sent, response head not complete
    receiving,      // body bytes of one range
    retry_wait,     // the download dropped; reconnect at deadline_
    verifying,
    installing,
    failed,
  };

  Ota(Platform& platform, const LockConfig& config, OtaHost& host);

  void offer(std::string_view json);
  // Abandons a download in progress (the lock is shutting down); a later offer starts over.
  void abort();
  void on_link_up();
  void on_link_bytes(const std::uint8_t* data, std::size_t size);
  void on_link_down();
  void tick();
  Millis next_wake() const;

  State state() const { return state_; }
  std::uint32_t written() const { return written_; }
  std::uint32_t requests() const { return requests_; }
  std::uint32_t drops() const { return drops_; }
  // On every connect: the running version ({"version":..,"state":"running"}), then where an
  // update stands if one is under way, or its result if that could not be sent when it happened.
  void report_on_connect();

 private:
  bool busy() const;
  void connect();
  void request_next();
  bool take_head();
  void take_body(const std::uint8_t* data, std::size_t size);
  void range_done();
  void drop(const char* why);
  void fail(const char* reason);
  void verify_step();
  void report(const char* state, const char* reason, bool with_progress, bool final);
  void report_running();

  Platform& platform_;
  const LockConfig& config_;
  OtaHost& host_;

  State state_ = State::idle;
  Millis deadline_ = 0;  // idle timeout while downloading, reconnect time in retry_wait

  char version_[version_max + 1] = {};
  Url url_;
  std::uint32_t size_ = 0;
  std::uint8_t expected_[Sha256::digest_size] = {};

  std::uint32_t written_ = 0;    // image bytes in the slot, always a prefix of the image
  std::uint32_t body_left_ = 0;  // bytes of the current response body still to come
  std::uint32_t body_skip_ = 0;  // a 200 answer repeats bytes we already have: drop these first
  bool server_closes_ = false;
  std::uint8_t retries_ = 0;  // drops in a row without progress
  std::uint8_t last_percent_ = 0;
  std::uint32_t requests_ = 0;
  std::uint32_t drops_ = 0;
  bool result_unsent_ = false;  // the last failed/rejected/current report never left
  char result_state_[12] = {};
  char result_reason_[24] = {};

  std::size_t head_len_ = 0;
  char head_[http_head_capacity];

  Sha256 sha_;
  std::uint32_t verified_ = 0;
  std::uint8_t chunk_[verify_chunk];
  char report_[mqtt_tx_capacity - 64];  // leaves room for the PUBLISH header and topic
};

}  // namespace firmware
