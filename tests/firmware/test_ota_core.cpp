// OTA in the core against an in-test HTTP server on the fake platform: good, corrupted,
// interrupted-and-resumed, servers without Range support, and offers that must be refused.
#include <doctest/doctest.h>

#include <regex>

#include "fake_platform.hpp"

using namespace fwtest;
using OtaState = firmware::Ota::State;

namespace {

std::string make_image(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 31 + i / 7);
  return s;
}

std::string offer_json(const std::string& version, const std::string& image,
                       const std::string& url = "http://fw.test:8080/fw/1.1.0.bin") {
  return R"({"version":")" + version + R"(","url":")" + url + R"(","size":)" + std::to_string(image.size()) +
         R"(,"sha256":")" + sha256_hex(image) + R"("})";
}

// Plays the HTTP server: answers each Range request on the fake link from `image`.
struct Server {
  std::string image;
  bool ignore_range = false;   // answer 200 with the whole image
  int status = 0;              // non-zero: answer with this status and no body
  int drop_request = 0;        // cut the connection during this response (1 = the first) ...
  std::size_t drop_after = 0;  // ... after this many of its body bytes
  std::vector<std::pair<std::size_t, std::size_t>> ranges;  // what the lock asked for

  // Serves every request the lock has sent so far; returns how many responses went out.
  int serve(Rig& r) {
    int answered = 0;
    auto& link = r.p.link(Link::http);
    for (int guard = 0; guard < 1000 && link.open; ++guard) {
      if (link.sent.empty()) break;
      std::smatch m;
      static const std::regex range_re("Range: bytes=(\\d+)-(\\d+)\r\n");
      REQUIRE(std::regex_search(link.sent, m, range_re));
      std::size_t first = std::stoul(m[1]), last = std::stoul(m[2]);
      link.sent.clear();
      ranges.emplace_back(first, last);
      ++answered;
      if (status) {
        r.feed("HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n\r\n", Link::http);
        continue;
      }
      std::string head, body;
      if (ignore_range) {
        body = image;
        head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
      } else {
        body = image.substr(first, last - first + 1);
        head = "HTTP/1.1 206 Partial Content\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\nContent-Range: bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
               std::to_string(image.size()) + "\r\n\r\n";
      }
      if (static_cast<int>(ranges.size()) == drop_request) {
        r.feed(head + body.substr(0, drop_after), Link::http);
        r.p.link(Link::http).open = false;
        r.core.on_link_down(Link::http);
        break;
      }
      // Head and body in uneven pieces.
      std::string all = head + body;
      for (std::size_t i = 0; i < all.size(); i += 97) r.feed(all.substr(i, 97), Link::http);
    }
    return answered;
  }
};

struct OtaRig : Rig {
  OtaRig() : Rig(quiet_config()) {
    connect();
    sent();
  }
  // No keepalive, so long retry waits need no broker playing PINGRESP.
  static firmware::LockConfig quiet_config() {
    auto c = test_config();
    c.keepalive_s = 0;
    return c;
  }
  void offer(const std::string& json) { deliver("/12345678901/ota", json); }
  // Lets connects, retries and verification run until the update settles.
  void run(Server& s) {
    for (int i = 0; i < 200; ++i) {
      auto st = core.ota().state();
      if (st == OtaState::failed || st == OtaState::installing || st == OtaState::idle) return;
      if (st == OtaState::connecting && p.link(Link::http).open) {
        core.on_link_up(Link::http);
        s.serve(*this);
      } else {
        advance_to(core.next_wake());
      }
    }
    FAIL("OTA did not settle");
  }
  std::string last_report() {
    auto all = fw_reports();
    REQUIRE_FALSE(all.empty());
    return all.back();
  }
  std::vector<std::string> fw_reports() {
    std::vector<std::string> out;
    for (auto& [topic, payload] : published())
      if (topic == "/12345678901/fw") out.push_back(payload);
    return out;
  }
};

}  // namespace

TEST_CASE("a good image is downloaded in ranges, verified, reported and activated") {
  OtaRig r;
  Server s;
  s.image = make_image(3500);
  r.offer(offer_json("1.1.0", s.image));
  CHECK(r.p.link(Link::http).host == "fw.test");
  CHECK(r.p.link(Link::http).port == 8080);
  r.run(s);
  CHECK(r.core.ota().state() == OtaState::installing);
  CHECK(s.ranges ==
        std::vector<std::pair<std::size_t, std::size_t>>{{0, 999}, {1000, 1999}, {2000, 2999}, {3000, 3499}});
  CHECK(r.p.link(Link::http).opens == 1);  // one kept-alive connection for every range
  CHECK(r.p.slot == std::vector<std::uint8_t>(s.image.begin(), s.image.end()));
  CHECK(r.p.activated == "1.1.0");
  auto reports = r.fw_reports();
  REQUIRE(reports.size() >= 3);
  CHECK(reports.front() == R"({"version":"1.1.0","state":"downloading","progress":0,"received":0,"size":3500})");
  CHECK(std::count(reports.begin(), reports.end(),
                   R"({"version":"1.1.0","state":"downloading","progress":100,"received":3500,"size":3500})") == 1);
  CHECK(reports.back() == R"({"version":"1.1.0","state":"verified"})");
  // The lock left the broker cleanly (no will) before restarting into the new slot.
  CHECK(r.core.mqtt().state() == firmware::MqttClient::State::stopped);
  CHECK(r.p.noted(Note::restarting, "1.1.0"));
}

TEST_CASE("a corrupted image is refused, reported, and the running firmware stays") {
  OtaRig r;
  Server s;
  s.image = make_image(2500);
  auto offer = offer_json("1.1.0", s.image);
  s.image[1234] ^= 0x01;
  r.offer(offer);
  r.run(s);
  CHECK(r.core.ota().state() == OtaState::failed);
  CHECK(r.p.activated.empty());
  CHECK(r.core.mqtt().connected());
  auto reports = r.fw_reports();
  REQUIRE_FALSE(reports.empty());
  CHECK(reports.back() == R"({"version":"1.1.0","state":"failed","reason":"sha256_mismatch"})");
}

TEST_CASE("an interrupted download resumes from the first missing byte") {
  OtaRig r;
  Server s;
  s.image = make_image(3500);
  s.drop_request = 2;  // the second range is cut after 600 of its 1000 bytes
  s.drop_after = 600;
  r.offer(offer_json("1.1.0", s.image));
  r.core.on_link_up(Link::http);
  s.serve(r);  // first range whole, second cut
  CHECK(r.core.ota().state() == OtaState::retry_wait);
  CHECK(r.core.ota().written() == 1600);
  CHECK(r.p.noted(Note::ota_retry));
  r.run(s);
  CHECK(r.core.ota().state() == OtaState::installing);
  CHECK(r.core.ota().drops() == 1);
  CHECK(s.ranges[2] == std::pair<std::size_t, std::size_t>{1600, 2599});
  CHECK(r.p.link(Link::http).opens == 2);
  CHECK(r.p.activated == "1.1.0");
}

TEST_CASE("a server that ignores Range still works, resumed bytes are not written twice") {
  OtaRig r;
  Server s;
  s.image = make_image(2200);
  s.ignore_range = true;
  s.drop_request = 1;
  s.drop_after = 1500;
  r.offer(offer_json("1.1.0", s.image));
  r.run(s);
  CHECK(r.core.ota().state() == OtaState::installing);
  CHECK(r.p.slot == std::vector<std::uint8_t>(s.image.begin(), s.image.end()));
}

TEST_CASE("HTTP errors and wrong sizes fail the update with a reason") {
  SUBCASE("404") {
    OtaRig r;
    Server s;
    s.image = make_image(100);
    s.status = 404;
    r.offer(offer_json("1.1.0", s.image));
    r.run(s);
    CHECK(r.last_report() == R"({"version":"1.1.0","state":"failed","reason":"http_404"})");
  }
  SUBCASE("the server's image is not the offered size") {
    OtaRig r;
    Server s;
    s.image = make_image(3000);
    auto offer = offer_json("1.1.0", make_image(2000));
    s.image = make_image(3000);
    r.offer(offer);
    r.run(s);
    CHECK(r.last_report() == R"({"version":"1.1.0","state":"failed","reason":"http_bad_range"})");
    CHECK(r.p.activated.empty());
  }
  SUBCASE("the network never comes back") {
    OtaRig r;
    r.offer(offer_json("1.1.0", make_image(100)));
    for (int i = 0; i < 20 && r.core.ota().state() != OtaState::failed; ++i) {
      r.core.on_link_down(Link::http);
      r.advance_to(r.core.ota().next_wake());
    }
    CHECK(r.core.ota().drops() == r.cfg.ota_max_retries + 1u);
    CHECK(r.last_report() == R"({"version":"1.1.0","state":"failed","reason":"network"})");
    CHECK(r.core.mqtt().connected());
  }
  SUBCASE("a stalled server counts as a drop and the download resumes") {
    OtaRig r;
    Server s;
    s.image = make_image(1500);
    r.offer(offer_json("1.1.0", s.image));
    r.core.on_link_up(Link::http);  // request sent, no answer
    r.advance(r.cfg.ota_idle_timeout_ms);
    CHECK(r.core.ota().state() == OtaState::retry_wait);
    r.p.link(Link::http).sent.clear();
    r.run(s);
    CHECK(r.core.ota().state() == OtaState::installing);
  }
}

TEST_CASE("bad, current and repeated offers") {
  OtaRig r;
  auto image = make_image(100);
  for (const std::string& bad : std::vector<std::string>{
           "not json",
           R"({"version":"1.1.0","url":"http://h/f","size":100})",  // no digest
           R"({"version":"1.1.0","url":"http://h/f","size":100,"sha256":"abc"})",
           R"({"version":"1.1.0","url":"ftp://h/f","size":100,"sha256":")" + sha256_hex(image) + "\"}",
           R"({"version":"1.1.0","url":"http://h/f","size":0,"sha256":")" + sha256_hex(image) + "\"}",
           R"({"version":"1 1\"x","url":"http://h/f","size":1,"sha256":")" + sha256_hex(image) + "\"}",
       }) {
    CAPTURE(bad);
    r.offer(bad);
    auto reports = r.fw_reports();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].find(R"("state":"rejected","reason":"bad_offer")") != std::string::npos);
    CHECK(r.p.link(Link::http).opens == 0);
  }

  r.offer(offer_json("1.0.0", image));  // already running it
  CHECK(r.fw_reports() == std::vector<std::string>{R"({"version":"1.0.0","state":"current"})"});

  r.offer(offer_json("1.1.0", image));
  r.offer(offer_json("1.1.0", image));  // redelivered: the download is not restarted
  CHECK(r.p.link(Link::http).opens == 1);
  r.offer(offer_json("1.2.0", image));  // a newer offer replaces the one in progress
  CHECK(r.p.link(Link::http).opens == 2);
  CHECK(r.p.link(Link::http).closes == 1);
}

TEST_CASE("a result reached while offline is reported on the next connect, and only then") {
  OtaRig r;
  Server s;
  s.image = make_image(1500);
  auto offer = offer_json("1.1.0", s.image);
  s.image[10] ^= 0x01;
  r.offer(offer);
  r.core.on_link_down(Link::mqtt);  // the MQTT session drops; the download goes on
  r.run(s);
  REQUIRE(r.core.ota().state() == OtaState::failed);
  r.fw_reports();

  r.advance_to(r.core.next_wake());
  r.link_up();
  r.sent();
  r.accept();
  CHECK(r.fw_reports() ==
        std::vector<std::string>{R"({"version":"1.0.0","state":"running"})",
                                 R"({"version":"1.1.0","state":"failed","reason":"sha256_mismatch"})"});
  // Delivered now: the next connect reports the running version alone.
  r.core.on_link_down(Link::mqtt);
  r.advance_to(r.core.next_wake());
  r.link_up();
  r.sent();
  r.accept();
  CHECK(r.fw_reports() == std::vector<std::string>{R"({"version":"1.0.0","state":"running"})"});
}

TEST_CASE("a reconnect during a download reports how far it got") {
  OtaRig r;
  Server s;
  s.image = make_image(3000);
  s.drop_request = 2;
  s.drop_after = 500;
  r.offer(offer_json("1.1.0", s.image));
  r.core.on_link_up(Link::http);
  s.serve(r);
  REQUIRE(r.core.ota().state() == OtaState::retry_wait);
  r.core.on_link_down(Link::mqtt);
  r.advance_to(r.core.mqtt().next_wake());
  r.link_up();
  r.sent();
  r.accept();
  auto reports = r.fw_reports();
  REQUIRE(reports.size() == 2);
  CHECK(reports[1] == R"({"version":"1.1.0","state":"downloading","progress":50,"received":1500,"size":3000})");
}

TEST_CASE("stopping the lock abandons a download and closes its link") {
  OtaRig r;
  r.offer(offer_json("1.1.0", make_image(3000)));
  r.core.on_link_up(Link::http);
  REQUIRE(r.p.link(Link::http).open);
  r.core.stop();
  CHECK_FALSE(r.p.link(Link::http).open);
  CHECK(r.core.ota().state() == OtaState::idle);
  CHECK(r.core.next_wake() == ~Millis{0});  // nothing left to run
}
