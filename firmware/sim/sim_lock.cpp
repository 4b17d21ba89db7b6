#include "sim_lock.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstring>

namespace locksim {

namespace asio = boost::asio;
using firmware::Bolt;
using firmware::Link;
using firmware::Millis;
using firmware::Note;

namespace {

const auto epoch = std::chrono::steady_clock::now();
constexpr Millis never = ~Millis{0};
// Larger than any lock's flash; an offer beyond it is refused as a slot error.
constexpr std::uint32_t max_image = 16 * 1024 * 1024;

}  // namespace

SimLock::SimLock(asio::io_context& io, asio::ssl::context* tls, const Options& options, std::size_t index,
                 FleetStats& stats)
    : io_(io),
      tls_(tls),
      options_(options),
      stats_(stats),
      config_(options.base),
      wake_(io),
      bolt_timer_(io),
      rng_(static_cast<std::uint32_t>(std::random_device{}() ^ (index * 2654435761u))) {
  firmware::set_field(config_.lockno, lockno_of(options, index).c_str());
  firmware::set_field(config_.password, password_of(options, index).c_str());
  lockno_ = config_.lockno;
}

void SimLock::start() {
  asio::post(io_, [this] { boot(); });
}

void SimLock::stop() {
  asio::post(io_, [this] {
    if (core_) core_->stop();
    wake_.cancel();
    bolt_timer_.cancel();
  });
}

void SimLock::drop() {
  asio::post(io_, [this] {
    if (auto& l = links_[static_cast<int>(Link::mqtt)]) l->abort("dropped by command");
  });
}

void SimLock::power(bool on) {
  asio::post(io_, [this, on] {
    if (on) {
      if (!core_) boot();
      return;
    }
    if (!core_) return;
    for (auto& l : links_)
      if (l) l->abort(""), l.reset();  // owner detached first inside abort: the core is gone
    wake_.cancel();
    bolt_timer_.cancel();
    armed_valid_ = false;
    if (connected_) {
      connected_ = false;
      --stats_.connected;
    }
    core_.reset();
    if (bolt_ == Bolt::moving) bolt_ = bolt_target_;
    if (!options_.quiet) fmt::print("{:.3f} {} power-off\n", now_ms() / 1000.0, config_.lockno);
  });
}

void SimLock::turn_key(bool open) {
  asio::post(io_, [this, open] {
    bolt_timer_.cancel();
    bolt_ = bolt_target_ = open ? Bolt::open : Bolt::locked;
    if (!core_) return;
    core_->on_bolt_changed();
    rearm();
  });
}

void SimLock::boot() {
  core_.emplace(*this, config_);
  core_->start();
  rearm();
}

void SimLock::rearm() {
  if (!core_) return;
  Millis wake = core_->next_wake();
  if (armed_valid_ && wake == armed_) return;
  armed_ = wake;
  armed_valid_ = true;
  if (wake == never) {
    wake_.cancel();
    return;
  }
  wake_.expires_at(epoch + std::chrono::milliseconds(wake));
  wake_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !core_) return;
    armed_valid_ = false;
    core_->tick();
    rearm();
  });
}

void SimLock::link_open(Link link, const char* host, std::uint16_t port, bool tls) {
  auto& slot = links_[static_cast<int>(link)];
  if (slot) slot->close();
  if (tls && !tls_) {
    // No TLS context configured (no --tls): fail like an unreachable host, from a fresh handler.
    asio::post(io_, [this, link] { link_down(link, "TLS not configured (use --tls)"); });
    slot.reset();
    return;
  }
  slot = std::make_shared<SimLink>(io_, tls ? tls_ : nullptr, *this, link);
  slot->open(host, port);
}

bool SimLock::link_send(Link link, const std::uint8_t* data, std::size_t size) {
  auto& slot = links_[static_cast<int>(link)];
  return slot && slot->send(data, size);
}

void SimLock::link_close(Link link) {
  auto& slot = links_[static_cast<int>(link)];
  if (slot) slot->close();
  slot.reset();
}

void SimLock::link_up(Link link) {
  core_->on_link_up(link);
  rearm();
}

void SimLock::link_bytes(Link link, const std::uint8_t* data, std::size_t size) {
  core_->on_link_bytes(link, data, size);
  rearm();
}

void SimLock::link_down(Link link, const std::string& why) {
  links_[static_cast<int>(link)].reset();
  if (link == Link::mqtt && !options_.quiet)
    fmt::print("{:.3f} {} link-down {}\n", now_ms() / 1000.0, config_.lockno, why);
  core_->on_link_down(link);
  rearm();
}

Millis SimLock::now_ms() {
  return static_cast<Millis>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - epoch).count());
}

void SimLock::bolt_drive(Bolt target) {
  if (bolt_ == target && bolt_target_ == target) return;
  bolt_ = Bolt::moving;
  bolt_target_ = target;
  bolt_timer_.expires_after(std::chrono::milliseconds(options_.bolt_ms));
  bolt_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !core_) return;
    bolt_ = bolt_target_;
    core_->on_bolt_changed();
    rearm();
  });
}

bool SimLock::slot_prepare(std::uint32_t size) {
  if (size > max_image) return false;
  slot_.assign(size, 0xff);  // erased flash reads as ones
  return true;
}

bool SimLock::slot_write(std::uint32_t offset, const std::uint8_t* data, std::size_t size) {
  if (offset > slot_.size() || size > slot_.size() - offset) return false;
  std::memcpy(slot_.data() + offset, data, size);
  return true;
}

bool SimLock::slot_read(std::uint32_t offset, std::uint8_t* data, std::size_t size) {
  if (offset > slot_.size() || size > slot_.size() - offset) return false;
  std::memcpy(data, slot_.data() + offset, size);
  return true;
}

void SimLock::slot_activate(const char* version) {
  pending_version_ = version;
  // A device resets here. The core is still on the stack, so the reboot runs from a fresh
  // handler, after the queued DISCONNECT has had a moment to leave.
  bolt_timer_.cancel();
  wake_.cancel();
  armed_valid_ = false;
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(200));
  timer->async_wait([this, timer](const boost::system::error_code&) { reboot(); });
}

void SimLock::reboot() {
  firmware::set_field(config_.previous_version, config_.version);
  firmware::set_field(config_.version, pending_version_.c_str());
  ++stats_.updates;
  if (connected_) {
    connected_ = false;
    --stats_.connected;
  }
  for (auto& l : links_)
    if (l) l->close(), l.reset();
  core_.reset();
  slot_.clear();
  slot_.shrink_to_fit();
  // The bolt keeps its physical position across a reset.
  if (bolt_ == Bolt::moving) bolt_ = bolt_target_;
  if (!options_.quiet) fmt::print("{:.3f} {} booted {}\n", now_ms() / 1000.0, config_.lockno, config_.version);
  boot();
}

void SimLock::note(Note what, const char* detail) {
  switch (what) {
    case Note::connected:
      ++stats_.connects;
      if (!connected_) ++stats_.connected;
      connected_ = true;
      break;
    case Note::disconnected:
      if (connected_) --stats_.connected;
      connected_ = false;
      break;
    case Note::unlock_received: ++stats_.unlocks; break;
    default: break;
  }
  if (options_.quiet) return;
  // One write per line: stdio locks the stream per call, so lines from threads do not interleave.
  fmt::print("{:.3f} {} {}{}{}\n", now_ms() / 1000.0, config_.lockno, firmware::to_string(what),
             detail && *detail ? " " : "", detail ? detail : "");
}

}  // namespace locksim
