#include "link.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <random>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "common/base64.hpp"

namespace bench {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

tcp::socket& lowest(tcp::socket& s) { return s; }
tcp::socket& lowest(asio::ssl::stream<tcp::socket>& s) { return s.next_layer(); }

template <class Stream>
void handshake(Stream&, std::function<void(const error_code&)> done) {
  done({});
}
void handshake(asio::ssl::stream<tcp::socket>& s, std::function<void(const error_code&)> done) {
  s.async_handshake(asio::ssl::stream_base::client, std::move(done));
}

// A client's WebSocket frames must be masked (RFC 6455 5.3); the key is random per connection,
// which is all a server can check.
template <class Stream>
class StreamLink final : public Link {
 public:
  template <class... Args>
  StreamLink(const Options& o, bool ws, Args&&... args)
      : stream_(std::forward<Args>(args)...), ws_(ws), host_(o.host), port_(o.port), path_(o.ws_path) {}

  void open(const tcp::endpoint& remote, const asio::ip::address& local, Done done) override {
    error_code ec;
    auto& sock = lowest(stream_);
    sock.open(remote.protocol(), ec);
    if (!ec) sock.set_option(tcp::no_delay(true), ec);
    if (!ec && !local.is_unspecified()) {
      // Without this, bind() picks a port unique on its own, scanning every bound port (seconds per
      // thousand connections at 20,000); with it the port is picked at connect() by the 4-tuple.
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sock.bind(tcp::endpoint(local, 0), ec);
    }
    if (ec) {
      done(ec);
      return;
    }
    sock.async_connect(remote, [this, done = std::move(done)](const error_code& ec) mutable {
      if (ec) return done(ec);
      handshake(stream_, [this, done = std::move(done)](const error_code& ec) mutable {
        if (ec || !ws_) return done(ec);
        upgrade(std::move(done));
      });
    });
  }

  void write(std::string_view bytes, Done done) override {
    if (!ws_) {
      asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                        [done = std::move(done)](const error_code& ec, std::size_t) { done(ec); });
      return;
    }
    frame_.clear();
    frame_.push_back(static_cast<char>(0x82));  // FIN, binary
    std::size_t n = bytes.size();
    if (n < 126) {
      frame_.push_back(static_cast<char>(0x80 | n));
    } else if (n <= 0xFFFF) {
      frame_.push_back(static_cast<char>(0x80 | 126));
      for (int s = 8; s >= 0; s -= 8) frame_.push_back(static_cast<char>(n >> s & 0xFF));
    } else {
      frame_.push_back(static_cast<char>(0x80 | 127));
      for (int s = 56; s >= 0; s -= 8) frame_.push_back(static_cast<char>(n >> s & 0xFF));
    }
    frame_.append(mask_.data(), mask_.size());
    std::size_t at = frame_.size();
    frame_.append(bytes);
    for (std::size_t i = 0; i < n; ++i) frame_[at + i] ^= mask_[i & 3];
    asio::async_write(stream_, asio::buffer(frame_),
                      [done = std::move(done)](const error_code& ec, std::size_t) { done(ec); });
  }

  void read(Received received) override {
    if (ws_ && !payload_.empty()) {
      // Deliver what the last read unwrapped before reading again.
      std::string ready;
      ready.swap(payload_);
      received({}, ready);
      return;
    }
    if (!buf_) buf_.reset(new char[buf_size_]);
    stream_.async_read_some(asio::buffer(buf_.get(), buf_size_),
                            [this, received = std::move(received)](const error_code& ec, std::size_t n) mutable {
                              // Idle connections keep a small buffer; one that fills it is busy and gets a bigger one.
                              bool grow = n == buf_size_ && buf_size_ < kMaxReadBuffer;
                              std::unique_ptr<char[]> old;
                              if (grow) {
                                old = std::move(buf_);
                                buf_size_ *= 4;
                              }
                              const char* data = old ? old.get() : buf_.get();
                              if (ec || !ws_) return received(ec, std::string_view(data, n));
                              raw_.append(data, n);
                              if (auto bad = unwrap(); bad) return received(bad, {});
                              if (payload_.empty()) return read(std::move(received));
                              std::string ready;
                              ready.swap(payload_);
                              received({}, ready);
                            });
  }

  void close() override {
    error_code ignored;
    lowest(stream_).close(ignored);
  }

 private:
  void upgrade(Done done) {
    std::random_device rd;
    for (auto& b : mask_) b = static_cast<char>(rd());
    std::string key(16, '\0');
    for (auto& c : key) c = static_cast<char>(rd());
    request_ = fmt::format(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
        path_, host_, port_, common::base64_encode(key));
    asio::async_write(
        stream_, asio::buffer(request_), [this, done = std::move(done)](const error_code& ec, std::size_t) mutable {
          if (ec) return done(ec);
          asio::async_read_until(stream_, asio::dynamic_buffer(raw_), "\r\n\r\n",
                                 [this, done = std::move(done)](const error_code& ec, std::size_t n) {
                                   if (ec) return done(ec);
                                   std::string_view head(raw_.data(), n);
                                   bool ok = head.substr(0, head.find("\r\n")).find(" 101") != std::string_view::npos;
                                   raw_.erase(0, n);  // frames may follow the response at once
                                   done(ok ? error_code{} : asio::error::connection_refused);
                                 });
        });
  }

  // Moves the payload of every complete frame in raw_ into payload_. Control frames are dropped:
  // the brokers measured here do not ping clients inside a run.
  error_code unwrap() {
    std::size_t at = 0;
    for (;;) {
      if (raw_.size() - at < 2) break;
      auto b0 = static_cast<unsigned char>(raw_[at]), b1 = static_cast<unsigned char>(raw_[at + 1]);
      std::size_t len = b1 & 0x7F, head = 2;
      if (len == 126) {
        if (raw_.size() - at < 4) break;
        len = std::size_t{static_cast<unsigned char>(raw_[at + 2])} << 8 | static_cast<unsigned char>(raw_[at + 3]);
        head = 4;
      } else if (len == 127) {
        if (raw_.size() - at < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = len << 8 | static_cast<unsigned char>(raw_[at + 2 + i]);
        head = 10;
      }
      bool masked = b1 & 0x80;
      std::size_t total = head + (masked ? 4 : 0) + len;
      if (raw_.size() - at < total) break;
      unsigned opcode = b0 & 0x0F;
      if (opcode == 0x8) return asio::error::eof;
      if (opcode <= 0x2) {
        std::size_t start = payload_.size();
        payload_.append(raw_, at + head + (masked ? 4 : 0), len);
        if (masked)
          for (std::size_t i = 0; i < len; ++i) payload_[start + i] ^= raw_[at + head + (i & 3)];
      }
      at += total;
    }
    raw_.erase(0, at);
    return {};
  }

  Stream stream_;
  bool ws_;
  std::string host_;
  std::uint16_t port_;
  std::string path_;
  std::array<char, 4> mask_{};
  // Allocated on first read, not zeroed: 20,000 idle connections must not cost 64 KiB each.
  static constexpr std::size_t kMaxReadBuffer = 64 * 1024;
  std::size_t buf_size_ = 1024;
  std::unique_ptr<char[]> buf_;
  std::string raw_, payload_, frame_, request_;
};

}  // namespace

std::unique_ptr<Link> make_link(asio::io_context& io, asio::ssl::context& tls, const Options& o) {
  bool ws = o.transport == Transport::ws || o.transport == Transport::wss;
  if (o.transport == Transport::tls || o.transport == Transport::wss)
    return std::make_unique<StreamLink<asio::ssl::stream<tcp::socket>>>(o, ws, io, tls);
  return std::make_unique<StreamLink<tcp::socket>>(o, ws, io);
}

}  // namespace bench
