#pragma once
// WeChat's auth.code2Session over HTTPS (certificate and host name verified, SNI set), with a
// deadline per attempt and retries while WeChat answers errcode -1 (busy). http:// URLs are
// allowed for the local stub. The secret travels in the query string, so URLs are never logged.
//
// THREADING: code2session() may be called from any thread; each call runs on its own strand of
// `io` and `done` is called there exactly once.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

namespace spdlog {
class logger;
}

namespace http::detail {

struct Url {
  bool tls = true;
  std::string host;
  std::string port;
  std::string target;  // path and query
  static bool parse(const std::string& text, Url& out);
};

struct SessionResult {
  enum class Outcome { ok, invalid_code, code_used, rate_limited, blocked, busy, failed };
  Outcome outcome = Outcome::failed;
  std::string openid;
  int errcode = 0;
  std::string detail;  // for logs: what went wrong (never the code or the secret)
};

struct WechatSettings {
  std::string url;
  std::string appid;
  std::string secret;
  std::chrono::milliseconds timeout{5000};
  int retries = 2;
  std::string cafile;
};

class WechatClient {
 public:
  WechatClient(boost::asio::io_context& io, WechatSettings settings, std::shared_ptr<spdlog::logger> log);
  void code2session(const std::string& code, std::function<void(SessionResult)> done);

 private:
  boost::asio::io_context& io_;
  WechatSettings settings_;
  Url url_;
  bool url_ok_ = false;
  boost::asio::ssl::context tls_;
  std::shared_ptr<spdlog::logger> log_;
};

// Maps a parsed code2Session answer (errcode and openid) to an outcome. Exposed for tests.
SessionResult classify_session_answer(const std::string& body);

}  // namespace http::detail
