#include "wechat_client.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>

#include "broker/log_text.hpp"
#include "exchange.hpp"
#include "json.hpp"

namespace http::detail {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

bool Url::parse(const std::string& text, Url& out) {
  Url u;
  std::string rest;
  if (text.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = text.substr(8);
  } else if (text.rfind("http://", 0) == 0) {
    u.tls = false;
    rest = text.substr(7);
  } else {
    return false;
  }
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty() || u.port.empty()) return false;
  out = u;
  return true;
}

SessionResult classify_session_answer(const std::string& body) {
  SessionResult r;
  rapidjson::Document doc;
  if (!parse_json(body, doc) || !doc.IsObject()) {
    r.detail = "answer is not a JSON object";
    return r;
  }
  if (auto it = doc.FindMember("errcode"); it != doc.MemberEnd() && it->value.IsInt()) r.errcode = it->value.GetInt();
  using O = SessionResult::Outcome;
  switch (r.errcode) {
    case 0: {
      auto it = doc.FindMember("openid");
      if (it == doc.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0) {
        r.detail = "answer without openid";
        return r;
      }
      r.openid.assign(it->value.GetString(), it->value.GetStringLength());
      r.outcome = O::ok;
      return r;
    }
    case -1: r.outcome = O::busy; break;
    case 40029: r.outcome = O::invalid_code; break;
    case 40163: r.outcome = O::code_used; break;
    case 45011: r.outcome = O::rate_limited; break;
    case 40226: r.outcome = O::blocked; break;
    default: r.outcome = O::failed; break;
  }
  r.detail = "errcode " + std::to_string(r.errcode);
  return r;
}

namespace {

// One attempt: resolve, connect, (TLS handshake), GET, read. Owns itself through its handlers.
class Attempt : public std::enable_shared_from_this<Attempt> {
 public:
  using Done = std::function<void(bool ok, std::string body, std::string why)>;
  Attempt(net::strand<net::io_context::executor_type> strand, ssl::context& tls, const Url& url, std::string target,
          std::chrono::milliseconds timeout, Done done)
      : strand_(strand), resolver_(strand), timer_(strand), url_(url), done_(std::move(done)) {
    if (url.tls) {
      tls_stream_.emplace(strand, tls);
    } else {
      plain_.emplace(strand);
    }
    req_ = {beast::http::verb::get, target, 11};
    req_.set(beast::http::field::host, url.host);
    req_.set(beast::http::field::user_agent, "sakura");
    req_.set(beast::http::field::connection, "close");
    timeout_ = timeout;
  }

  void run() {
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      self->lowest().close();
    });
    if (tls_stream_) {
      // SNI and the name checked against the certificate.
      if (!SSL_set_tlsext_host_name(tls_stream_->native_handle(), url_.host.c_str()))
        return finish(false, "cannot set SNI");
      tls_stream_->set_verify_mode(ssl::verify_peer);
      tls_stream_->set_verify_callback(ssl::host_name_verification(url_.host));
    }
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->finish(false, "resolve: " + ec.message());
          self->lowest().async_connect(results, [self](boost::system::error_code ec, const tcp::endpoint&) {
            if (ec) return self->finish(false, "connect: " + ec.message());
            self->handshake();
          });
        });
  }

 private:
  beast::tcp_stream& lowest() { return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_; }

  void handshake() {
    if (!tls_stream_) return send();
    tls_stream_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->finish(false, "tls: " + ec.message());
      self->send();
    });
  }

  void send() {
    auto on_write = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->finish(false, "write: " + ec.message());
      self->receive();
    };
    if (tls_stream_) beast::http::async_write(*tls_stream_, req_, on_write);
    else beast::http::async_write(*plain_, req_, on_write);
  }

  void receive() {
    parser_.body_limit(64 * 1024);
    auto on_read = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->finish(false, "read: " + ec.message());
      auto& res = self->parser_.get();
      if (res.result_int() != 200) return self->finish(false, "HTTP status " + std::to_string(res.result_int()));
      self->finish(true, "");
    };
    if (tls_stream_) beast::http::async_read(*tls_stream_, buffer_, parser_, on_read);
    else beast::http::async_read(*plain_, buffer_, parser_, on_read);
  }

  void finish(bool ok, std::string why) {
    if (!done_) return;
    timer_.cancel();
    boost::system::error_code ec;
    lowest().socket().close(ec);
    if (timed_out_) {
      ok = false;
      why = "timeout";
    }
    auto done = std::move(done_);
    done_ = nullptr;
    done(ok, ok ? parser_.get().body() : std::string(), std::move(why));
  }

  net::strand<net::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  net::steady_timer timer_;
  Url url_;
  Done done_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  beast::http::request<beast::http::empty_body> req_;
  beast::flat_buffer buffer_;
  beast::http::response_parser<beast::http::string_body> parser_;
  std::chrono::milliseconds timeout_;
  bool timed_out_ = false;
};

}  // namespace

WechatClient::WechatClient(net::io_context& io, WechatSettings settings, std::shared_ptr<spdlog::logger> log)
    : io_(io), settings_(std::move(settings)), tls_(ssl::context::tls_client), log_(std::move(log)) {
  url_ok_ = Url::parse(settings_.url, url_);
  if (!url_ok_) log_->error("wechat.code2session_url is not an http(s) URL");
  tls_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (settings_.cafile.empty()) tls_.set_default_verify_paths();
  else tls_.load_verify_file(settings_.cafile);
}

void WechatClient::code2session(const std::string& code, std::function<void(SessionResult)> done) {
  if (!url_ok_) {
    SessionResult r;
    r.detail = "bad code2session URL";
    return done(r);
  }
  std::string target = url_.target;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += "appid=" + url_encode(settings_.appid) + "&secret=" + url_encode(settings_.secret) +
            "&js_code=" + url_encode(code) + "&grant_type=authorization_code";
  auto strand = net::make_strand(io_);
  // Attempts chain through this function; the attempt number decides the back-off.
  auto attempt = std::make_shared<std::function<void(int)>>();
  *attempt = [this, strand, target, done = std::move(done), attempt](int n) mutable {
    auto a = std::make_shared<Attempt>(
        strand, tls_, url_, target, settings_.timeout,
        [this, n, strand, done, attempt](bool ok, std::string body, std::string why) {
          SessionResult r;
          if (!ok) r.detail = std::move(why);
          else r = classify_session_answer(body);
          if (r.outcome == SessionResult::Outcome::busy && n < settings_.retries) {
            auto timer = std::make_shared<net::steady_timer>(strand, std::chrono::milliseconds(100 << n));
            timer->async_wait([timer, attempt, n](boost::system::error_code) { (*attempt)(n + 1); });
            return;
          }
          if (r.outcome == SessionResult::Outcome::failed)
            log_->warn("code2session failed after {} attempt(s): {}", n + 1, broker::log_text(r.detail));
          *attempt = nullptr;  // breaks the self-reference once finished
          done(std::move(r));
        });
    a->run();
  };
  net::post(strand, [attempt] { (*attempt)(0); });
}

}  // namespace http::detail
