#pragma once
// A Platform for unit tests: a clock the test moves, links whose bytes the test reads and feeds,
// a bolt that takes `bolt_ms` to move, and an in-memory firmware slot. Rig wires it to a LockCore
// and runs the core's timers the way a device's event loop would, without sleeping.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "broker/codec/decode.hpp"
#include "broker/codec/encode.hpp"
#include "broker/codec/framer.hpp"
#include "firmware/lock_core.hpp"
#include "firmware/sha256.hpp"

namespace fwtest {

using firmware::Bolt;
using firmware::Link;
using firmware::Millis;
using firmware::Note;

struct FakeLink {
  bool open = false;  // link_open asked for and not closed since
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;
  std::string sent;  // bytes the core sent and the test has not taken yet
  int opens = 0;
  int closes = 0;
  bool refuse_send = false;
};

class FakePlatform final : public firmware::Platform {
 public:
  Millis now = 1000;
  std::vector<std::uint32_t> randoms;  // consumed in order, then `random_rest`
  std::uint32_t random_rest = 0;
  FakeLink links[2];
  Bolt bolt = Bolt::locked;
  Bolt bolt_target = Bolt::locked;
  Millis bolt_ms = 50;
  Millis bolt_done_at = ~Millis{0};
  std::vector<Bolt> drives;
  std::vector<std::uint8_t> slot;
  std::uint32_t prepared = 0;
  bool slot_writes_fail = false;
  std::string activated;
  std::vector<std::pair<Note, std::string>> notes;

  FakeLink& link(Link l) { return links[static_cast<int>(l)]; }
  bool noted(Note n, const std::string& detail = {}) const {
    return std::any_of(notes.begin(), notes.end(),
                       [&](auto& e) { return e.first == n && (detail.empty() || e.second == detail); });
  }

  void link_open(Link l, const char* host, std::uint16_t port, bool tls) override {
    auto& k = link(l);
    k.open = true;
    k.host = host;
    k.port = port;
    k.tls = tls;
    k.sent.clear();
    ++k.opens;
  }
  bool link_send(Link l, const std::uint8_t* data, std::size_t size) override {
    auto& k = link(l);
    if (!k.open || k.refuse_send) return false;
    k.sent.append(reinterpret_cast<const char*>(data), size);
    return true;
  }
  void link_close(Link l) override {
    auto& k = link(l);
    if (k.open) ++k.closes;
    k.open = false;
  }
  Millis now_ms() override { return now; }
  std::uint32_t random32() override {
    if (randoms.empty()) return random_rest;
    auto v = randoms.front();
    randoms.erase(randoms.begin());
    return v;
  }
  void bolt_drive(Bolt target) override {
    drives.push_back(target);
    if (bolt == target) return;
    bolt = Bolt::moving;
    bolt_target = target;
    bolt_done_at = now + bolt_ms;
  }
  Bolt bolt_sense() override { return bolt; }
  bool slot_prepare(std::uint32_t size) override {
    prepared = size;
    slot.assign(size, 0xff);
    return true;
  }
  bool slot_write(std::uint32_t offset, const std::uint8_t* data, std::size_t size) override {
    if (slot_writes_fail || offset + size > slot.size()) return false;
    std::copy(data, data + size, slot.begin() + offset);
    return true;
  }
  bool slot_read(std::uint32_t offset, std::uint8_t* data, std::size_t size) override {
    if (offset + size > slot.size()) return false;
    std::copy(slot.begin() + offset, slot.begin() + offset + size, data);
    return true;
  }
  void slot_activate(const char* version) override { activated = version; }
  void note(Note what, const char* detail) override { notes.emplace_back(what, detail ? detail : ""); }
};

inline std::string hex_digest(firmware::Sha256& h) {
  std::uint8_t d[firmware::Sha256::digest_size];
  h.finish(d);
  std::string s;
  for (auto b : d) s += {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15]};
  return s;
}

inline std::string sha256_hex(std::string_view data) {
  firmware::Sha256 h;
  h.update(data);
  return hex_digest(h);
}

inline firmware::LockConfig test_config() {
  firmware::LockConfig c;
  firmware::set_field(c.lockno, "12345678901");
  firmware::set_field(c.password, "secret");
  firmware::set_field(c.broker_host, "broker.test");
  firmware::set_field(c.version, "1.0.0");
  c.keepalive_s = 30;
  c.relock_ms = 5000;
  c.ota_range_bytes = 1000;
  return c;
}

// One lock on the fake platform, with helpers that play the broker's side using Sakura's codec.
struct Rig {
  FakePlatform p;
  firmware::LockConfig cfg;
  firmware::LockCore core;

  explicit Rig(const firmware::LockConfig& c = test_config()) : cfg(c), core(p, cfg) {}

  // Runs every timer and bolt movement due up to `t`, in time order, as a device loop would.
  void advance_to(Millis t) {
    for (int guard = 0; guard < 1000000; ++guard) {
      Millis wake = std::min(core.next_wake(), p.bolt_done_at);
      if (wake > t) break;
      p.now = std::max(p.now, wake);
      if (p.bolt_done_at <= p.now) {
        p.bolt = p.bolt_target;
        p.bolt_done_at = ~Millis{0};
        core.on_bolt_changed();
      } else {
        core.tick();
      }
    }
    p.now = std::max(p.now, t);
  }
  void advance(Millis ms) { advance_to(p.now + ms); }

  void feed(const std::string& bytes, Link l = Link::mqtt) {
    core.on_link_bytes(l, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  void feed(const broker::codec::Packet& packet) { feed(broker::codec::encode(packet)); }

  // Packets the lock sent on its MQTT link since the last call, decoded by Sakura's codec.
  std::vector<broker::codec::Packet> sent() {
    std::vector<broker::codec::Packet> out;
    std::string& s = p.link(Link::mqtt).sent;
    std::string_view rest(s);
    while (!rest.empty()) {
      auto f = broker::codec::frame(rest);
      if (f.status != broker::codec::Frame::Status::packet) break;
      auto d = broker::codec::decode(rest.substr(0, f.total()));
      if (!d.ok()) break;
      out.push_back(d.packet);
      rest.remove_prefix(f.total());
    }
    s.erase(0, s.size() - rest.size());
    return out;
  }

  // Publishes the lock sent since the last call, as (topic, payload).
  std::vector<std::pair<std::string, std::string>> published() {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& pk : sent())
      if (auto* pub = std::get_if<broker::codec::Publish>(&pk)) out.emplace_back(pub->topic, pub->payload);
    return out;
  }

  // Drives the lock from power-up to an accepted session; leaves its first packets unread.
  void connect() {
    core.start();
    advance(cfg.backoff_min_ms);
    link_up();
    sent();  // the CONNECT; tests that check it drive link_up() themselves
    accept();
  }
  void link_up() { core.on_link_up(Link::mqtt); }
  void accept(std::uint8_t code = 0) {
    broker::codec::Connack ack;
    ack.code = static_cast<broker::codec::ConnectReturn>(code);
    feed(ack);
  }
  void deliver(const std::string& topic, const std::string& payload, std::uint8_t qos = 1, std::uint16_t id = 7) {
    broker::codec::Publish pub;
    pub.topic = topic;
    pub.payload = payload;
    pub.qos = qos;
    pub.packet_id = qos ? id : 0;
    feed(pub);
  }
};

}  // namespace fwtest
