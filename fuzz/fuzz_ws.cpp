// libFuzzer harness for the WebSocket listener's reading of outside bytes, as anyone on the
// internet can send them to 8083/8084: the HTTP upgrade request (Boost.Beast's parser with the
// listener's limits), the listener's own decision on it (broker::decide_upgrade, which
// WsUpgrade::on_request in broker/src/ws_listener.cpp calls: path, subprotocol, the client behind
// a trusted proxy), Beast's accept, and then the frame reader the way WsTransport reads MQTT
// bytes. The parser limits and the stream settings mirror ws_listener.cpp and
// broker/src/ws_transport.cpp (configure, async_read); keep them in step when those change. The input is the byte
// stream, arriving in reads of a size its first byte picks; the bytes after the request are the client's frames (a
// client waits for the 101 before sending them).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "broker/ws_handshake.hpp"
#include "require.hpp"

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using fuzz::require;

namespace {

constexpr std::size_t max_request_header = 8192;  // ws_listener.cpp
// The listener's default is 2 MiB; a small limit lets inputs of a few KiB reach the refusal.
constexpr std::size_t max_message_size = 1024;
constexpr std::size_t read_buffer = 4096;  // ws_transport.cpp

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

const broker::TrustedProxies& trusted() {
  static const broker::TrustedProxies t("127.0.0.1 10.0.0.0/8 ::1");
  return t;
}

struct Run {
  net::io_context ioc;
  beast::test::stream http_in{ioc};
  beast::test::stream peer{ioc};
  beast::flat_buffer buffer{max_request_header};
  bhttp::request_parser<bhttp::empty_body> parser;
  std::string frames;
  std::unique_ptr<websocket::stream<beast::test::stream>> ws;
  beast::test::stream ws_peer{ioc};
  std::string echo;
  char data[read_buffer];
  std::size_t read_total = 0;
  std::size_t read_max = 0;

  void on_request(const beast::error_code& ec) {
    if (ec) return;  // the listener answers 400 and closes
    auto& req = parser.get();
    const auto peer = net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 40000);
    auto decision = broker::decide_upgrade(req, "/mqtt", peer, trusted());
    require(decision.refuse || broker::path_matches(sv(req.target()), "/mqtt"), "accepted another path");
    require(decision.refuse || websocket::is_upgrade(req), "accepted a request that is not an upgrade");
    require(!decision.refuse || !decision.reason.empty(), "a refusal without a reason to log");
    require(decision.reason.find_first_of("\r\n") == std::string::npos, "the log reason holds a raw CR or LF");
    if (decision.refuse) return;  // the listener answers with the status and closes
    // The echo is one of the client's tokens (EMQX 3 echoed any mqtt*): it must be one of the
    // offered list's elements, start with mqtt, be short and hold only token characters.
    const auto offered = std::string(sv(req[bhttp::field::sec_websocket_protocol]));
    const auto& chosen = decision.echo;
    require(chosen.empty() || (chosen.compare(0, 4, "mqtt") == 0 && chosen.size() <= broker::max_subprotocol_length &&
                               std::all_of(chosen.begin(), chosen.end(),
                                           [](unsigned char c) {
                                             return std::isalnum(c) ||
                                                    (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
                                           }) &&
                               offered.find(chosen) != std::string::npos),
            "a subprotocol answer that is not a short mqtt* token the client offered");
    require(!decision.client.empty() && decision.client.find_first_of(" \r\n\"") == std::string::npos,
            "the client address shown in logs holds the client's bytes");
    require(!decision.forwarded || decision.client == decision.forwarded->to_string(),
            "the address counted per client is not the one logged");
    echo = chosen;

    // What follows the request: what the parser read past it, then what it did not read yet.
    frames.assign(static_cast<const char*>(buffer.data().data()), buffer.size());
    frames.append(sv(http_in.str()));
    beast::test::stream ws_in(ioc);
    ws_in.connect(ws_peer);
    ws_in.read_size(read_max);
    ws_in.append(frames);
    ws_in.close_remote();
    ws = std::make_unique<websocket::stream<beast::test::stream>>(std::move(ws_in));
    ws->binary(true);
    ws->auto_fragment(false);
    ws->read_message_max(max_message_size);
    ws->set_option(
        websocket::stream_base::timeout{websocket::stream_base::none(), websocket::stream_base::none(), false});
    if (!echo.empty())
      ws->set_option(websocket::stream_base::decorator(
          [p = echo](websocket::response_type& res) { res.set(bhttp::field::sec_websocket_protocol, p); }));
    ws->async_accept(req, [this](const beast::error_code& e) { on_accepted(e); });
  }

  void on_accepted(const beast::error_code& ec) {
    if (ec) return;  // Beast has answered a bad key or version with its own 400
    auto response = ws_peer.str();
    require(response.substr(0, 12) == "HTTP/1.1 101", "accepted without a 101");
    if (!echo.empty())
      require(response.find("Sec-WebSocket-Protocol: " + echo + "\r\n") != beast::string_view::npos,
              "the chosen subprotocol is not in the 101");
    read();
  }

  void read() {
    ws->async_read_some(net::buffer(data, read_buffer), [this](const beast::error_code& ec, std::size_t n) {
      if (ec) return;              // the connection ends with the reason
      if (ws->got_text()) return;  // WsTransport ends it: MQTT needs binary frames
      read_total += n;
      require(read_total <= frames.size(), "more payload than bytes sent");
      read();
    });
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 1) return 0;
  Run run;
  run.read_max = bytes[0] ? bytes[0] : read_buffer;
  run.http_in.connect(run.peer);
  run.http_in.read_size(run.read_max);
  run.http_in.append(beast::string_view(reinterpret_cast<const char*>(bytes) + 1, size - 1));
  run.http_in.close_remote();
  run.parser.header_limit(max_request_header);
  run.parser.body_limit(0);
  bhttp::async_read(run.http_in, run.buffer, run.parser,
                    [&run](const beast::error_code& ec, std::size_t) { run.on_request(ec); });
  run.ioc.run();
  return 0;
}
