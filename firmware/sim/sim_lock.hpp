#pragma once
// One simulated lock: firmware::LockCore on a Platform made of Asio links and timers, a bolt that
// takes a while to move, and two firmware slots in memory. All of a lock's work runs on the one
// io_context it was given, so the core sees one event at a time, as on a device.
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "firmware/lock_core.hpp"
#include "options.hpp"
#include "sim_link.hpp"

namespace locksim {

// Counters shared by every lock of the process, for --stats.
struct FleetStats {
  std::atomic<long> connected{0};
  std::atomic<long> connects{0};
  std::atomic<long> unlocks{0};
  std::atomic<long> updates{0};
};

class SimLock final : public firmware::Platform, public LinkOwner {
 public:
  SimLock(boost::asio::io_context& io, boost::asio::ssl::context* tls, const Options& options, std::size_t index,
          FleetStats& stats);
  SimLock(const SimLock&) = delete;
  SimLock& operator=(const SimLock&) = delete;

  // Both post to the lock's io_context, so any thread may call them.
  void start();
  void stop();  // a clean MQTT DISCONNECT: no will
  // What happens to a lock in the field, for tests (posted like start and stop):
  void drop();               // the network cuts the MQTT link (no DISCONNECT: the will fires)
  void power(bool on);       // off: links die, nothing runs; on: a fresh boot
  void turn_key(bool open);  // the bolt moved by hand
  const std::string& lockno() const { return lockno_; }

  // firmware::Platform
  void link_open(firmware::Link link, const char* host, std::uint16_t port, bool tls) override;
  bool link_send(firmware::Link link, const std::uint8_t* data, std::size_t size) override;
  void link_close(firmware::Link link) override;
  firmware::Millis now_ms() override;
  std::uint32_t random32() override { return static_cast<std::uint32_t>(rng_()); }
  void bolt_drive(firmware::Bolt target) override;
  firmware::Bolt bolt_sense() override { return bolt_; }
  bool slot_prepare(std::uint32_t size) override;
  bool slot_write(std::uint32_t offset, const std::uint8_t* data, std::size_t size) override;
  bool slot_read(std::uint32_t offset, std::uint8_t* data, std::size_t size) override;
  void slot_activate(const char* version) override;
  void note(firmware::Note what, const char* detail) override;

 private:
  // LinkOwner
  void link_up(firmware::Link link) override;
  void link_bytes(firmware::Link link, const std::uint8_t* data, std::size_t size) override;
  void link_down(firmware::Link link, const std::string& why) override;

  void boot();
  void rearm();  // after every event: the core may want tick() sooner or later than before
  void reboot();

  boost::asio::io_context& io_;
  boost::asio::ssl::context* tls_;
  const Options& options_;
  FleetStats& stats_;
  firmware::LockConfig config_;
  std::string lockno_;
  std::optional<firmware::LockCore> core_;
  std::shared_ptr<SimLink> links_[2];
  boost::asio::steady_timer wake_;
  firmware::Millis armed_ = 0;
  bool armed_valid_ = false;
  boost::asio::steady_timer bolt_timer_;
  firmware::Bolt bolt_ = firmware::Bolt::locked;
  firmware::Bolt bolt_target_ = firmware::Bolt::locked;
  bool connected_ = false;
  std::string pending_version_;     // set by slot_activate, booted by reboot()
  std::vector<std::uint8_t> slot_;  // the inactive slot
  std::mt19937 rng_;
};

}  // namespace locksim
