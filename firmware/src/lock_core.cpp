#include "firmware/lock_core.hpp"

#include "firmware/text.hpp"

namespace firmware {
namespace {

void make_topic(char (&out)[topic_max + 1], const char* lockno, const char* leaf) {
  TextWriter(out, sizeof out).add('/').add(lockno).add('/').add(leaf);
}

}  // namespace

LockCore::LockCore(Platform& platform, const LockConfig& config)
    : platform_(platform), config_(config), mqtt_(platform, config_, *this), ota_(platform, config_, *this) {
  make_topic(topic_statu_, config_.lockno, "statu");
  make_topic(topic_call_, config_.lockno, "call");
  make_topic(topic_ota_, config_.lockno, "ota");
  make_topic(topic_fw_, config_.lockno, "fw");
}

void LockCore::start() { mqtt_.start(); }

void LockCore::stop() {
  mqtt_.stop();
  ota_.abort();
  relock_at_ = 0;
}

void LockCore::on_link_up(Link link) {
  if (link == Link::mqtt) mqtt_.on_link_up();
  else ota_.on_link_up();
}

void LockCore::on_link_bytes(Link link, const std::uint8_t* data, std::size_t size) {
  if (link == Link::mqtt) mqtt_.on_link_bytes(data, size);
  else ota_.on_link_bytes(data, size);
}

void LockCore::on_link_down(Link link) {
  if (link == Link::mqtt) mqtt_.on_link_down();
  else ota_.on_link_down();
}

void LockCore::on_bolt_changed() { publish_status(); }

void LockCore::tick() {
  mqtt_.tick();
  ota_.tick();
  if (relock_at_ != 0 && platform_.now_ms() >= relock_at_) {
    relock_at_ = 0;
    platform_.note(Note::relocking, nullptr);
    platform_.bolt_drive(Bolt::locked);
  }
  // Polling too, so a missed sensor event costs one tick, not a wrong status until the next one.
  publish_status();
}

Millis LockCore::next_wake() const {
  Millis wake = mqtt_.next_wake();
  Millis ota = ota_.next_wake();
  if (ota < wake) wake = ota;
  if (relock_at_ != 0 && relock_at_ < wake) wake = relock_at_;
  return wake;
}

void LockCore::on_mqtt_connected() {
  reported_ = Bolt::moving;  // the broker has not heard from this connection yet
  std::string_view filters[] = {topic_call_, topic_ota_};
  if (!mqtt_.subscribe(filters, 2, 1)) return;
  publish_status();
  ota_.report_on_connect();
}

void LockCore::on_mqtt_message(std::string_view topic, std::string_view payload, bool retained) {
  if (topic == topic_call_) {
    // A retained "unlock" would open the door again on every reconnect, long after whoever
    // asked has gone: only live commands count. (A retained OTA offer is fine: it reaches locks
    // that were offline when it was made.)
    if (payload == "unlock" && !retained) unlock();
  } else if (topic == topic_ota_) {
    ota_.offer(payload);
  }
}

void LockCore::unlock() {
  platform_.note(Note::unlock_received, nullptr);
  platform_.bolt_drive(Bolt::open);
  // A second unlock while open extends the open time rather than stacking relocks.
  relock_at_ = platform_.now_ms() + config_.relock_ms;
  if (relock_at_ == 0) relock_at_ = 1;
}

void LockCore::publish_status() {
  Bolt now = platform_.bolt_sense();
  if (now == Bolt::moving || now == reported_ || !mqtt_.connected()) return;
  const char* text = now == Bolt::locked ? "1" : "0";
  if (mqtt_.publish(topic_statu_, text, 1)) {
    reported_ = now;
    platform_.note(Note::status_sent, text);
  }
}

bool LockCore::ota_report(std::string_view json, bool final) { return mqtt_.publish(topic_fw_, json, final ? 1 : 0); }

void LockCore::ota_install(const char* version) {
  platform_.note(Note::restarting, version);
  stop();
  platform_.slot_activate(version);
}

}  // namespace firmware
