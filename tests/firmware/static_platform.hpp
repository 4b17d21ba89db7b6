#pragma once
// A Platform that itself never touches the heap (fixed slot, no logs kept), for the no-allocation
// test and the fuzzer: whatever they observe is the core's doing.
#include <cstdint>
#include <cstring>

#include "firmware/platform.hpp"

namespace fwtest {

class StaticPlatform final : public firmware::Platform {
 public:
  firmware::Millis now = 1000;
  firmware::Bolt bolt = firmware::Bolt::locked;
  bool open[2] = {};
  std::size_t sent_bytes = 0;
  std::uint8_t slot[1 << 16] = {};

  void link_open(firmware::Link l, const char*, std::uint16_t, bool) override { open[int(l)] = true; }
  bool link_send(firmware::Link l, const std::uint8_t*, std::size_t n) override {
    sent_bytes += n;
    return open[int(l)];
  }
  void link_close(firmware::Link l) override { open[int(l)] = false; }
  firmware::Millis now_ms() override { return now; }
  std::uint32_t random32() override { return 7; }
  void bolt_drive(firmware::Bolt b) override { bolt = b; }
  firmware::Bolt bolt_sense() override { return bolt; }
  bool slot_prepare(std::uint32_t size) override { return size <= sizeof slot; }
  bool slot_write(std::uint32_t off, const std::uint8_t* d, std::size_t n) override {
    if (off > sizeof slot || n > sizeof slot - off) return false;
    std::memcpy(slot + off, d, n);
    return true;
  }
  bool slot_read(std::uint32_t off, std::uint8_t* d, std::size_t n) override {
    if (off > sizeof slot || n > sizeof slot - off) return false;
    std::memcpy(d, slot + off, n);
    return true;
  }
  void slot_activate(const char*) override {}
  void note(firmware::Note, const char*) override {}
};

}  // namespace fwtest
