// The WebSocket upgrade's decisions and the trusted-proxy list.
#include <doctest/doctest.h>

#include <stdexcept>

#include "broker/proxy_protocol.hpp"
#include "broker/tls_context.hpp"
#include "broker/ws_handshake.hpp"

namespace ip = boost::asio::ip;
using broker::TrustedProxies;

namespace {
ip::tcp::endpoint ep(const char* a, unsigned short port) { return {ip::make_address(a), port}; }
}  // namespace

TEST_CASE("subprotocol: none accepted, any mqtt* token echoed as EMQX 3 did, others refused") {
  auto none = broker::choose_subprotocol("");
  CHECK(none.accepted);
  CHECK(none.echo.empty());
  CHECK(broker::choose_subprotocol(" \t").echo.empty());
  for (const char* p : {"mqtt", "mqttv3.1", "mqttv3.1.1", "mqttv5", "mqtt-sn", "mqtt_wx"}) {
    CAPTURE(p);
    auto c = broker::choose_subprotocol(p);
    CHECK(c.accepted);
    CHECK(c.echo == p);
  }
  CHECK(broker::choose_subprotocol("chat, mqttv3.1 ,mqtt").echo == "mqttv3.1");  // the first
  CHECK(broker::choose_subprotocol("mqtt,,").echo == "mqtt");
  const std::string longest = "mqtt" + std::string(broker::max_subprotocol_length - 4, 'x');
  CHECK(broker::choose_subprotocol(longest).echo == longest);
  CHECK(broker::choose_subprotocol(longest + "x, mqtt").echo == "mqtt");
  // Not MQTT, or not a token: refused, whatever else is in the list.
  for (const char* p : {"chat", "wamp", "MQTT", "Mqttv3.1", "mqt", "xmqtt", ",", "mqtt v3", "mqtt\"", "mqtt/3",
                        "mqtt, a b", "\"mqtt\"", "mqtt;q=1", "mqtt\x7f", "mqtt\xe4\xb8\x8a"}) {
    CAPTURE(p);
    CHECK_FALSE(broker::choose_subprotocol(p).accepted);
  }
  CHECK_FALSE(broker::choose_subprotocol(longest + "x").accepted);
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "chat, ";
  CHECK_FALSE(broker::choose_subprotocol(many + "chat").accepted);
  CHECK(broker::choose_subprotocol(many + "mqtt").echo == "mqtt");
}

TEST_CASE("path ignores the query string only") {
  CHECK(broker::path_matches("/mqtt", "/mqtt"));
  CHECK(broker::path_matches("/mqtt?token=1", "/mqtt"));
  CHECK_FALSE(broker::path_matches("/mqtt/", "/mqtt"));
  CHECK_FALSE(broker::path_matches("/", "/mqtt"));
  CHECK_FALSE(broker::path_matches("/mqttx", "/mqtt"));
}

TEST_CASE("the upgrade decision: path, Upgrade headers, subprotocol, then the client behind a proxy") {
  namespace http = boost::beast::http;
  auto upgrade = [](const char* target) {
    http::request_header<> req;
    req.method(http::verb::get);
    req.target(target);
    req.version(11);
    req.set(http::field::host, "broker");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    return req;
  };
  const TrustedProxies trusted("10.0.0.1");
  const auto proxy = ep("10.0.0.1", 5000), direct = ep("192.0.2.7", 6000);

  auto ok = broker::decide_upgrade(upgrade("/mqtt?x=1"), "/mqtt", direct, trusted);
  CHECK_FALSE(ok.refuse);
  CHECK(ok.echo.empty());
  CHECK(ok.client == "192.0.2.7:6000");
  CHECK_FALSE(ok.forwarded);

  auto other = broker::decide_upgrade(upgrade("/x\r\nforged"), "/mqtt", direct, trusted);
  CHECK(other.refuse == http::status::not_found);
  CHECK(other.reason == "path /x\\x0d\\x0aforged");  // escaped for the log line

  auto plain = upgrade("/mqtt");
  plain.erase(http::field::upgrade);
  CHECK(broker::decide_upgrade(plain, "/mqtt", direct, trusted).refuse == http::status::upgrade_required);

  auto chat = upgrade("/mqtt");
  chat.set(http::field::sec_websocket_protocol, "chat");
  auto refused = broker::decide_upgrade(chat, "/mqtt", direct, trusted);
  CHECK(refused.refuse == http::status::bad_request);
  CHECK(refused.reason == "subprotocol chat");
  chat.set(http::field::sec_websocket_protocol, "chat, mqttv3.1.1");
  CHECK(broker::decide_upgrade(chat, "/mqtt", direct, trusted).echo == "mqttv3.1.1");

  auto behind = upgrade("/mqtt");
  behind.set("X-Forwarded-For", "203.0.113.9");
  auto via_proxy = broker::decide_upgrade(behind, "/mqtt", proxy, trusted);
  CHECK(via_proxy.client == "203.0.113.9");
  REQUIRE(via_proxy.forwarded);
  CHECK(*via_proxy.forwarded == ip::make_address("203.0.113.9"));
  // From anyone else the header is the client's word: ignored.
  auto forged = broker::decide_upgrade(behind, "/mqtt", direct, trusted);
  CHECK(forged.client == "192.0.2.7:6000");
  CHECK_FALSE(forged.forwarded);
}

TEST_CASE("trusted proxies: addresses and networks, v4-mapped peers") {
  TrustedProxies t("127.0.0.1, 10.0.0.0/8 ::1,2001:db8::/32");
  CHECK(t.contains(ip::make_address("127.0.0.1")));
  CHECK_FALSE(t.contains(ip::make_address("127.0.0.2")));
  CHECK(t.contains(ip::make_address("10.200.3.4")));
  CHECK_FALSE(t.contains(ip::make_address("11.0.0.1")));
  CHECK(t.contains(ip::make_address("::ffff:10.1.2.3")));
  CHECK(t.contains(ip::make_address("::1")));
  CHECK(t.contains(ip::make_address("2001:db8:ffff::1")));
  CHECK_FALSE(t.contains(ip::make_address("2001:db9::1")));
  CHECK(TrustedProxies("0.0.0.0/0").contains(ip::make_address("192.0.2.1")));
  CHECK(TrustedProxies("").empty());
  CHECK_THROWS_AS(TrustedProxies("10.0.0.0/33"), std::invalid_argument);
  CHECK_THROWS_AS(TrustedProxies("localhost"), std::invalid_argument);
}

TEST_CASE("forwarded client: believed only from a trusted peer") {
  TrustedProxies t("127.0.0.1, 10.0.0.0/8");
  auto proxy = ep("127.0.0.1", 40000);
  auto stranger = ep("198.51.100.2", 40000);
  CHECK(broker::forwarded_client(stranger, "203.0.113.9", "203.0.113.9", t) == "198.51.100.2:40000");
  CHECK(broker::forwarded_client(proxy, "203.0.113.9", "", t) == "203.0.113.9");
  CHECK(broker::forwarded_client(proxy, "", "203.0.113.9", t) == "203.0.113.9");
  CHECK(broker::forwarded_client(proxy, "", "", t) == "127.0.0.1:40000");
  // The client may prepend anything: the rightmost hop not a trusted proxy is the client.
  CHECK(broker::forwarded_client(proxy, "6.6.6.6, 203.0.113.9, 10.1.1.1", "", t) == "203.0.113.9");
  CHECK(broker::forwarded_client(proxy, "10.2.2.2, 10.1.1.1", "", t) == "10.2.2.2");
  CHECK(broker::forwarded_client(proxy, "junk, 203.0.113.9:5555", "", t) == "203.0.113.9");
  CHECK(broker::forwarded_client(proxy, "[2001:db8::9]:443", "", t) == "2001:db8::9");
  CHECK(broker::forwarded_client(proxy, "not-an-address", "", t) == "127.0.0.1:40000");
}

TEST_CASE("certificate file lists") {
  CHECK(broker::split_file_list("") == std::vector<std::string>{});
  CHECK(broker::split_file_list("rsa.pem") == std::vector<std::string>{"rsa.pem"});
  CHECK(broker::split_file_list(" rsa.pem , ecdsa.pem ") == std::vector<std::string>{"rsa.pem", "ecdsa.pem"});
}

TEST_CASE("a TLS context refuses what cannot work, naming it") {
  broker::TlsOptions o;
  CHECK_THROWS_WITH_AS(broker::TlsContext{o}, "no certificate file configured", std::runtime_error);
  o.certfiles = {"/nonexistent/cert.pem"};
  o.keyfiles = {"/nonexistent/key.pem"};
  CHECK_THROWS_AS(broker::TlsContext{o}, std::runtime_error);
  o.keyfiles.clear();
  CHECK_THROWS_WITH_AS(broker::TlsContext{o}, "certfile and keyfile must list the same number of files",
                       std::runtime_error);
}
