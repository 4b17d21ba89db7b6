// The MCU claim: once a LockCore exists, nothing it does touches the heap. Every global
// operator new in this test binary is counted; a full session (connect, unlock, relock, keepalive,
// malformed input, reconnect, OTA with a resumed download) must count zero while the core runs.
// (check_core_symbols.sh proves the same for malloc: the core library does not reference it.)
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "fake_platform.hpp"
#include "static_platform.hpp"

namespace {
std::atomic<long> news{0};
}

void* operator new(std::size_t n) {
  ++news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace fwtest;

namespace {

void feed(firmware::LockCore& c, Link l, const std::string& s) {
  c.on_link_bytes(l, reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

}  // namespace

TEST_CASE("a running lock core never allocates") {
  // Every input is prepared before counting starts.
  auto cfg = test_config();
  cfg.ota_range_bytes = 1024;
  const std::string connack("\x20\x02\x00\x00", 4);
  const std::string unlock =
      broker::codec::encode(broker::codec::Publish{false, 1, false, "/12345678901/call", 3, "unlock"});
  const std::string pingresp("\xd0\x00", 2);
  const std::string garbage("\x30\xff\xff\xff\xff\x01", 6);
  std::string image(3000, 'z');
  const std::string hex = sha256_hex(image);
  const std::string ota = broker::codec::encode(
      broker::codec::Publish{false, 1, false, "/12345678901/ota", 4,
                             R"({"version":"2.0","url":"http://h/f","size":3000,"sha256":")" + hex + "\"}"});
  auto response = [&](std::size_t first, std::size_t last) {
    return "HTTP/1.1 206 P\r\nContent-Length: " + std::to_string(last - first + 1) + "\r\nContent-Range: bytes " +
           std::to_string(first) + "-" + std::to_string(last) + "/3000\r\n\r\n" + image.substr(first, last - first + 1);
  };
  // The second range is cut 300 bytes into the response; the lock resumes from the first byte it
  // lacks, in ranges of 1024 again.
  const std::string r0 = response(0, 1023), r1 = response(1024, 2047);
  const std::string r1_cut = r1.substr(0, 300);
  const std::size_t resume = 1024 + 300 - (r1.size() - 1024);
  const std::string r1_rest = response(resume, resume + 1023), r2 = response(resume + 1024, 2999);

  StaticPlatform p;
  firmware::LockCore core(p, cfg);
  auto run_until = [&](Millis t) {
    for (int i = 0; i < 100000 && core.next_wake() <= t; ++i) {
      p.now = std::max(p.now, core.next_wake());
      core.tick();
    }
    p.now = std::max(p.now, t);
  };

  // The counter is live: a direct call (which the compiler may not elide) is seen.
  long probe = news.load();
  void* volatile block = ::operator new(16);
  ::operator delete(block);
  REQUIRE(news.load() == probe + 1);

  long before = news.load();
  core.start();
  run_until(p.now + 1000);
  core.on_link_up(Link::mqtt);
  feed(core, Link::mqtt, connack);
  feed(core, Link::mqtt, unlock);
  core.on_bolt_changed();
  run_until(p.now + 31000);  // relock and a keepalive ping
  feed(core, Link::mqtt, pingresp);
  feed(core, Link::mqtt, garbage);  // dropped, then reconnect
  run_until(p.now + 2000);
  core.on_link_up(Link::mqtt);
  feed(core, Link::mqtt, connack);
  feed(core, Link::mqtt, ota);
  core.on_link_up(Link::http);
  feed(core, Link::http, r0);
  feed(core, Link::http, r1_cut);
  core.on_link_down(Link::http);
  run_until(p.now + 1500);
  core.on_link_up(Link::http);
  feed(core, Link::http, r1_rest);
  feed(core, Link::http, r2);
  run_until(p.now + 10);
  long during = news.load() - before;

  CHECK(during == 0);
  CHECK(core.ota().state() == firmware::Ota::State::installing);  // the scenario really ran
  CHECK(core.ota().drops() == 1);
  CHECK(p.sent_bytes > 0);
  MESSAGE("sizeof(LockCore) = " << sizeof(firmware::LockCore) << " bytes");
}
