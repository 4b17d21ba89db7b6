// libFuzzer harness for everything a lock parses from the network: the MQTT byte stream after
// CONNACK, an OTA offer's JSON, and an HTTP response during a download. The first input byte
// picks which; the rest is the hostile data. Built with -DSAKURA_FUZZ=ON (clang only).
#include <cstdint>
#include <cstring>

#include "firmware/lock_core.hpp"
#include "firmware/mqtt_wire.hpp"
#include "static_platform.hpp"

namespace {

using namespace firmware;

void publish_to(LockCore& core, const char* topic, const std::uint8_t* payload, std::size_t n) {
  static std::uint8_t buf[70000];
  std::size_t len =
      wire::encode_publish(buf, sizeof buf, topic, std::string_view(reinterpret_cast<const char*>(payload), n), 1, 1);
  if (len) core.on_link_bytes(Link::mqtt, buf, len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static fwtest::StaticPlatform p;  // static: the 64 KiB slot is reused, not re-zeroed per run
  p.now = 1000;
  p.bolt = Bolt::locked;
  p.open[0] = p.open[1] = false;
  LockConfig cfg;
  set_field(cfg.lockno, "12345678901");
  set_field(cfg.password, "pw");
  set_field(cfg.broker_host, "b");
  set_field(cfg.version, "1.0.0");
  cfg.ota_range_bytes = 512;
  LockCore core(p, cfg);
  core.start();
  p.now += cfg.backoff_min_ms;
  core.tick();
  core.on_link_up(Link::mqtt);
  const std::uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
  core.on_link_bytes(Link::mqtt, connack, sizeof connack);

  std::uint8_t mode = data[0] % 3;
  ++data;
  --size;
  if (mode == 0) {
    core.on_link_bytes(Link::mqtt, data, size);
  } else if (mode == 1) {
    publish_to(core, "/12345678901/ota", data, size);
  } else {
    static const char offer[] = R"({"version":"2","url":"http://h/f","size":4096,"sha256":")"
                                "0000000000000000000000000000000000000000000000000000000000000000\"}";
    publish_to(core, "/12345678901/ota", reinterpret_cast<const std::uint8_t*>(offer), sizeof offer - 1);
    core.on_link_up(Link::http);
    core.on_link_bytes(Link::http, data, size);
  }
  for (int i = 0; i < 64 && core.next_wake() <= p.now + 100000; ++i) {
    p.now = core.next_wake() > p.now ? core.next_wake() : p.now;
    core.tick();
  }
  return 0;
}
