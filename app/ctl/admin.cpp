// The two ways an admin request travels: over HTTP to the running broker's ops bind, or into
// http::HttpApi::call in this process over the stores opened here.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "auth/credential_keeper.hpp"
#include "auth/password.hpp"
#include "auth/store_lock.hpp"
#include "broker/hooks.hpp"
#include "ctl.hpp"
#include "http/api.hpp"
#include "storage/open.hpp"
#include "wire_auth.hpp"
#include "wire_http.hpp"
#include "wire_storage.hpp"

namespace ctl {

namespace {

namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// The longest answer read from the broker (a page of 100,000 sessions is about 10 MB).
constexpr std::uint64_t kMaxAnswer = 64u << 20;
constexpr std::chrono::seconds kTimeout{30};

class OnlineAdmin final : public Admin {
 public:
  OnlineAdmin(std::string host, std::string port, std::string token)
      : host_(std::move(host)), port_(std::move(port)), token_(std::move(token)) {}

  bool online() const override { return true; }

  Reply call(const std::string& method, const std::string& target, const std::string& body) override {
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, host_ + ":" + port_);
    req.set(bhttp::field::authorization, "Bearer " + token_);
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxAnswer);
    boost::beast::flat_buffer buffer;
    boost::system::error_code failed;
    tcp::resolver resolver(io);
    stream.expires_after(kTimeout);
    resolver.async_resolve(host_, port_, [&](auto ec, tcp::resolver::results_type results) {
      if (ec) return void(failed = ec);
      stream.async_connect(results, [&](auto ec, auto) {
        if (ec) return void(failed = ec);
        bhttp::async_write(stream, req, [&](auto ec, std::size_t) {
          if (ec) return void(failed = ec);
          bhttp::async_read(stream, buffer, parser, [&](auto ec, std::size_t) { failed = ec; });
        });
      });
    });
    io.run();
    if (failed) throw Failure("the broker at " + host_ + ":" + port_ + " did not answer: " + failed.message());
    return {parser.get().result_int(), parser.get().body()};
  }

 private:
  std::string host_, port_, token_;
};

// No broker runs offline: nothing is connected, so there is nobody to disconnect or deliver to.
// The routes that need a broker's action (clients, sessions, OTA offers) are refused before
// they get here (Ctl::broker, and 503 no_broker from the API).
class NoBroker final : public broker::BrokerControl {
 public:
  void publish(broker::MessagePtr) override {}
  void publish_now(broker::MessagePtr, std::function<void(std::vector<std::string>)> done) override { done({}); }
  void disconnect_user(const std::string&) override {}
  void run_after(std::chrono::milliseconds, std::function<void()>) override {}
};

class OfflineAdmin final : public Admin {
 public:
  explicit OfflineAdmin(const app::Config& config) {
    auto s = app::storage_config(config);
    s.history = false;  // the spool in the data dir is the broker's
    if (s.kv_backend == storage::KvBackend::embedded) {
      lock_ = std::make_unique<auth::StoreLock>(s.data_dir);
      if (!lock_->ok())
        throw Failure("a running sakura-broker owns the embedded store (" + lock_->path() +
                      " is locked): give sakura-ctl its ops bind (http.ops_bind, --url) or stop it");
    }
    log_ = spdlog::get("sakura-ctl");
    if (!log_) log_ = spdlog::stderr_color_mt("sakura-ctl");
    log_->set_level(spdlog::level::warn);
    thread_ = std::thread([this] { io_.run(); });
    auto opened = storage::open(s, io_, log_);
    if (!opened.ok) {
      stop();
      throw Failure("cannot open the stores: " + opened.message);
    }
    store_ = opened.value;
    auto credentials = app::credential_store(config, store_.kv);
    keeper_ = std::make_shared<auth::CredentialKeeper>(credentials, std::chrono::milliseconds(0), log_);
    auto o = app::http_options(config);
    o.bind.reset();
    o.ops_bind.reset();
    o.admin_token = auth::random_hex(16);  // only for this process's own calls; nothing written
    api_ = std::make_unique<http::HttpApi>(std::move(o), store_, control_, nullptr, log_);
    api_->set_credentials(credentials, keeper_);
  }

  ~OfflineAdmin() override {
    api_.reset();
    keeper_.reset();
    store_ = {};
    stop();
  }

  bool online() const override { return false; }

  Reply call(const std::string& method, const std::string& target, const std::string& body) override {
    auto promise = std::make_shared<std::promise<Reply>>();
    auto future = promise->get_future();
    api_->call(method, target, body, [promise](unsigned status, std::string body) {
      promise->set_value({status, std::move(body)});
    });
    if (future.wait_for(kTimeout) != std::future_status::ready) throw Failure("the stores did not answer within 30 s");
    return future.get();
  }

 private:
  void stop() {
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread thread_;
  std::unique_ptr<auth::StoreLock> lock_;
  std::shared_ptr<spdlog::logger> log_;
  storage::Storage store_;
  std::shared_ptr<auth::CredentialKeeper> keeper_;
  NoBroker control_;
  std::unique_ptr<http::HttpApi> api_;
};

// "http://host:port" or "host:port".
std::pair<std::string, std::string> host_port(std::string url) {
  if (url.rfind("http://", 0) == 0) url.erase(0, 7);
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto colon = url.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == url.size())
    throw UsageError("--url must be http://HOST:PORT");
  auto host = url.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, url.substr(colon + 1)};
}

// Whether something accepts connections at host:port within a second.
bool answers(const std::string& host, const std::string& port) {
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  bool connected = false;
  tcp::resolver resolver(io);
  stream.expires_after(std::chrono::seconds(1));
  resolver.async_resolve(host, port, [&](auto ec, tcp::resolver::results_type results) {
    if (ec) return;
    stream.async_connect(results, [&](auto ec, auto) { connected = !ec; });
  });
  io.run();
  return connected;
}

// The admin token as the broker finds it: http.admin_token, else <node.data_dir>/admin_token.
std::string admin_token(const app::Config& config) {
  if (config.has("http.admin_token")) return config.str("http.admin_token");
  std::ifstream in(std::filesystem::path(config.str("node.data_dir")) / "admin_token");
  std::string token;
  std::getline(in, token);
  return token;
}

}  // namespace

std::unique_ptr<Admin> online_admin(const std::string& url, const std::string& token) {
  auto [host, port] = host_port(url);
  return std::make_unique<OnlineAdmin>(host, port, token);
}

std::unique_ptr<Admin> offline_admin(const app::Config& config) { return std::make_unique<OfflineAdmin>(config); }

Admin& Ctl::admin() {
  if (admin_) return *admin_;
  std::string url = url_;
  if (url.empty() && mode_ != Mode::offline && config_.enabled("http.ops_bind")) url = config_.str("http.ops_bind");
  if (mode_ == Mode::online && url.empty())
    throw UsageError("--online needs the broker's ops bind: http.ops_bind or --url");
  bool use_broker = false;
  if (!url.empty() && mode_ != Mode::offline) {
    auto [host, port] = host_port(url);
    // Port 0 is "any free port": only the broker knows which (--url tells sakura-ctl).
    bool reachable = port != "0" && answers(host == "0.0.0.0" ? "127.0.0.1" : host, port);
    if (mode_ == Mode::online && !reachable) throw Failure("no broker answers at " + url);
    use_broker = reachable;
    if (use_broker) url = (host == "0.0.0.0" ? "127.0.0.1" : host) + ":" + port;
  }
  if (use_broker) {
    auto token = token_.empty() ? admin_token(config_) : token_;
    if (token.empty()) throw Failure("no admin token: set http.admin_token, --token, or read <data_dir>/admin_token");
    admin_ = online_admin(url, token);
  } else {
    admin_ = offline_admin(config_);
  }
  return *admin_;
}

Admin& Ctl::broker() {
  auto& a = admin();
  if (!a.online())
    throw Failure("this needs the running broker: give sakura-ctl its ops bind (http.ops_bind or --url)");
  return a;
}

int Ctl::run(const std::string& method, const std::string& target, const std::string& body) {
  return run_on(admin(), method, target, body);
}

int Ctl::run_on(Admin& a, const std::string& method, const std::string& target, const std::string& body) {
  return print_reply(a.call(method, target, body), json_);
}

}  // namespace ctl
