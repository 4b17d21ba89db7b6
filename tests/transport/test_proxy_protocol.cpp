// PROXY protocol headers as bytes: v1 lines, v2 blocks (commented field by field), and the ways
// both can be cut short or malformed.
#include <doctest/doctest.h>

#include <string>

#include "broker/proxy_protocol.hpp"
#include "broker/tcp_transport.hpp"

using broker::parse_proxy_header;
using broker::ProxyHeader;
using Status = ProxyHeader::Status;

namespace {
std::string v2(std::initializer_list<int> bytes) {
  std::string s("\r\n\r\n\0\r\nQUIT\n", 12);
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}
}  // namespace

TEST_CASE("v1 TCP4 gives the source address and the header length") {
  std::string line = "PROXY TCP4 203.0.113.7 10.0.0.1 51234 1883\r\n";
  auto h = parse_proxy_header(line + "\x10\x0c");  // CONNECT bytes follow
  REQUIRE(h.status == Status::complete);
  CHECK(h.length == line.size());
  REQUIRE(h.source);
  CHECK(broker::format_endpoint(*h.source) == "203.0.113.7:51234");
}

TEST_CASE("v1 TCP6 and UNKNOWN") {
  auto h = parse_proxy_header("PROXY TCP6 2001:db8::5 2001:db8::1 40000 1883\r\n");
  REQUIRE(h.status == Status::complete);
  CHECK(broker::format_endpoint(*h.source) == "[2001:db8::5]:40000");
  auto u = parse_proxy_header("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n");
  REQUIRE(u.status == Status::complete);
  CHECK(!u.source);
  CHECK(u.length == 35);
}

TEST_CASE("v1 cut anywhere needs more") {
  std::string line = "PROXY TCP4 203.0.113.7 10.0.0.1 51234 1883\r\n";
  for (std::size_t n = 1; n < line.size(); ++n)
    CHECK_MESSAGE(parse_proxy_header(line.substr(0, n)).status == Status::need_more, n);
}

TEST_CASE("v1 malformed") {
  CHECK(parse_proxy_header("PROXY TCP4 203.0.113.7 10.0.0.1 51234\r\n").status == Status::malformed);
  CHECK(parse_proxy_header("PROXY TCP4 2001:db8::5 10.0.0.1 1 2\r\n").status == Status::malformed);
  CHECK(parse_proxy_header("PROXY TCP4 1.2.3.4 5.6.7.8 65536 1\r\n").status == Status::malformed);
  CHECK(parse_proxy_header("PROXY TCP4 1.2.3.4 5.6.7.8 01 1\r\n").status == Status::malformed);
  CHECK(parse_proxy_header("PROXY TCP4  1.2.3.4 5.6.7.8 1 1\r\n").status == Status::malformed);
  CHECK(parse_proxy_header("PROXY UDP4 1.2.3.4 5.6.7.8 1 1\r\n").status == Status::malformed);
  // No CRLF within the 107 bytes the specification allows.
  CHECK(parse_proxy_header("PROXY TCP4 " + std::string(120, '1')).status == Status::malformed);
  CHECK(parse_proxy_header("GET /mqtt HTTP/1.1\r\n").status == Status::malformed);
}

TEST_CASE("v2 PROXY over TCP/IPv4 with a TLV") {
  auto block = v2({
      0x21,                       // version 2, command PROXY
      0x11,                       // AF_INET, STREAM
      0x00, 0x11,                 // 17 bytes follow
      198,  51,   100,  9,        // source address
      10,   0,    0,    1,        // destination address
      0xc3, 0x50,                 // source port 50000
      0x07, 0x5b,                 // destination port 1883
      0x04, 0x00, 0x02, 'h', 'i'  // a NOOP TLV, skipped
  });
  auto h = parse_proxy_header(block + "\x10");
  REQUIRE(h.status == Status::complete);
  CHECK(h.length == 16 + 17);
  CHECK(broker::format_endpoint(*h.source) == "198.51.100.9:50000");
  for (std::size_t n = 1; n < block.size(); ++n)
    CHECK_MESSAGE(parse_proxy_header(block.substr(0, n)).status == Status::need_more, n);
}

TEST_CASE("v2 PROXY over TCP/IPv6") {
  std::initializer_list<int> bytes = {0x21, 0x21, 0x00, 0x24, 0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,   0, 0,
                                      0,    0,    0,    0,    0,    0x07, 0x20, 0x01, 0x0d, 0xb8, 0,    0,   0, 0,
                                      0,    0,    0,    0,    0,    0,    0,    0x01, 0x01, 0xbb, 0x07, 0x5b};
  auto h = parse_proxy_header(v2(bytes));
  REQUIRE(h.status == Status::complete);
  CHECK(broker::format_endpoint(*h.source) == "[2001:db8::7]:443");
}

TEST_CASE("v2 LOCAL and UNSPEC keep the connection's own address") {
  auto local = parse_proxy_header(v2({0x20, 0x00, 0x00, 0x00}));
  REQUIRE(local.status == Status::complete);
  CHECK(local.length == 16);
  CHECK(!local.source);
  auto unspec = parse_proxy_header(v2({0x21, 0x00, 0x00, 0x00}));
  REQUIRE(unspec.status == Status::complete);
  CHECK(!unspec.source);
}

TEST_CASE("v2 malformed") {
  CHECK(parse_proxy_header(v2({0x11, 0x11, 0x00, 0x0c})).status == Status::malformed);  // version 1
  CHECK(parse_proxy_header(v2({0x22, 0x11, 0x00, 0x0c})).status == Status::malformed);  // command 2
  CHECK(parse_proxy_header(v2({0x21, 0x11, 0x00, 0x04, 1, 2, 3, 4})).status == Status::malformed);
  CHECK(parse_proxy_header(v2({0x21, 0x11, 0xff, 0xff})).status == Status::malformed);  // too long
}

TEST_CASE("only PROXY signatures look like a header; MQTT's CONNECT does not") {
  CHECK(broker::starts_like_proxy_header("P"));
  CHECK(broker::starts_like_proxy_header("PROXY TCP4"));
  CHECK(broker::starts_like_proxy_header(std::string("\r\n\r\n\0", 5)));
  CHECK_FALSE(broker::starts_like_proxy_header("\x10\x0c"));
  CHECK_FALSE(broker::starts_like_proxy_header("PRIX"));
  CHECK_FALSE(broker::starts_like_proxy_header(""));
}
