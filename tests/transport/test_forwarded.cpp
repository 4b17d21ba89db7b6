// broker/forwarded.hpp: the one reading of X-Forwarded-For, shared by the WebSocket listener and
// the HTTP API (whose rate limits key on it).
#include <doctest/doctest.h>

#include "broker/forwarded.hpp"

namespace ip = boost::asio::ip;
using broker::TrustedProxies;

namespace {
std::string fwd(std::string_view peer, std::string_view xff, std::string_view real_ip = "",
                std::string_view trusted = "127.0.0.1, ::1") {
  auto a = broker::forwarded_address(ip::make_address(std::string(peer)), xff, real_ip, TrustedProxies(trusted));
  return a ? a->to_string() : "-";
}
}  // namespace

TEST_CASE("forwarded hops: IPv4 with or without a port, IPv6 with or without brackets") {
  auto hop = [](std::string_view s) {
    auto a = broker::parse_forwarded_hop(s);
    return a ? a->to_string() : "-";
  };
  CHECK(hop("203.0.113.9") == "203.0.113.9");
  CHECK(hop(" 203.0.113.9:5555 ") == "203.0.113.9");
  // Unbracketed IPv6 keeps its last group (it is not a port).
  CHECK(hop("2001:db8::9") == "2001:db8::9");
  CHECK(hop("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2:3:4:5:6");
  CHECK(hop("::1") == "::1");
  CHECK(hop("[2001:db8::9]:443") == "2001:db8::9");
  CHECK(hop("[2001:db8::9]") == "2001:db8::9");
  CHECK(hop("::ffff:198.51.100.7") == "198.51.100.7");
  CHECK(hop("[2001:db8::9") == "-");
  CHECK(hop("unknown") == "-");
  CHECK(hop("") == "-");
}

TEST_CASE("forwarded address: only from a trusted peer, the rightmost untrusted hop") {
  CHECK(fwd("198.51.100.2", "203.0.113.9", "203.0.113.9") == "-");
  CHECK(fwd("127.0.0.1", "203.0.113.9") == "203.0.113.9");
  CHECK(fwd("::1", "2001:db8::77") == "2001:db8::77");
  CHECK(fwd("::ffff:127.0.0.1", "203.0.113.9") == "203.0.113.9");
  CHECK(fwd("127.0.0.1", "6.6.6.6, 2001:db8::5, 127.0.0.1") == "2001:db8::5");
  CHECK(fwd("127.0.0.1", "") == "-");
  CHECK(fwd("127.0.0.1", "", "203.0.113.4") == "203.0.113.4");
  CHECK(fwd("127.0.0.1", "garbage") == "-");
  CHECK(fwd("127.0.0.1", "203.0.113.9", "", "") == "-");  // nobody trusted
}
