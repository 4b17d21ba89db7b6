#pragma once
// The HTTP API (docs/api.md): the mini-program's login, binding and history routes and the locks'
// firmware download on the public bind (`bind`, what nginx forwards /wx/ and /lock/ to); those and
// the admin routes for devices, firmware and OTA, /healthz and /metrics on the operators' bind
// (`ops_bind`, loopback by default). The public bind never serves an ops or admin route, under
// any prefix.
//
// THREADING: the API runs its own io_context on `Options::threads` threads (never the broker's
// workers); every connection lives on its own strand. Storage callbacks arrive on storage threads
// and are posted back to the connection's strand. start()/stop() from the owning thread only.
// observer() is called by the broker on its I/O threads and only records (non-blocking).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "broker/broker.hpp"
#include "broker/connection_limiter.hpp"
#include "broker/proxy_protocol.hpp"
#include "storage/open.hpp"

namespace auth {
class CredentialKeeper;
class CredentialStore;
}  // namespace auth
namespace broker {
class Authenticator;
class BrokerControl;
class Observer;
class Stats;
}  // namespace broker

namespace spdlog {
class logger;
}

namespace http {

struct Options {
  std::optional<boost::asio::ip::tcp::endpoint> bind;      // public routes; nullopt: off
  std::optional<boost::asio::ip::tcp::endpoint> ops_bind;  // every route; nullopt: off
  unsigned threads = 1;
  std::string data_dir = "./data";
  std::string admin_token;                        // empty: read or generate data_dir/admin_token
  std::uint64_t max_body = 64 * 1024;             // JSON bodies
  std::uint64_t max_firmware = 32u << 20;         // firmware images
  std::chrono::milliseconds read_timeout{10000};  // one request's header and body
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive wait between requests
  // Per source address: a burst of `rate_burst` then `rate_per_minute` requests a minute, for
  // /login and the binding routes.
  int rate_per_minute = 30;
  int rate_burst = 10;
  // Peers whose X-Forwarded-For / X-Real-IP are believed (read as the WebSocket listener reads them).
  broker::TrustedProxies trusted_proxies{"127.0.0.1, ::1"};
  // Admission of connections (caps per listener and address, accept rate); null: no limits.
  // `uncounted` peers (proxies, local addresses) are not counted per address.
  std::shared_ptr<broker::ConnectionLimiter> connections;
  // The ops bind's own: a flood of the public bind never locks operators and /metrics out.
  std::shared_ptr<broker::ConnectionLimiter> ops_connections;
  broker::TrustedProxies uncounted;
  std::string public_url;  // base URL locks download firmware from

  std::string wechat_url = "https://api.weixin.qq.com/sns/jscode2session";
  std::string wechat_appid;
  std::string wechat_secret;
  std::chrono::milliseconds wechat_timeout{5000};
  int wechat_retries = 2;     // further attempts after errcode -1 (busy)
  std::string wechat_cafile;  // empty: the system's trust store

  std::chrono::milliseconds credential_ttl{24 * 3600 * 1000};
};

class HttpApi {
 public:
  using MetricsSource = std::function<void(std::string& out)>;  // appends Prometheus text

  HttpApi(Options options, storage::Storage storage, broker::BrokerControl& control, const broker::Stats* stats,
          std::shared_ptr<spdlog::logger> log);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Records OTA progress from /<lockno>/fw, devices' last seen time and online state.
  std::shared_ptr<broker::Observer> observer();
  // Other modules' metrics and listeners for /metrics and /healthz; before start().
  void add_metrics(MetricsSource source);
  // Checks /history's Basic credentials as an MQTT CONNECT with them would be checked (its
  // throttle, hash pool and ACL); without one, only the admin token reads history. Before start().
  void set_authenticator(std::shared_ptr<broker::Authenticator> authenticator);
  // Where credentials are issued and read (auth/'s store, which owns the key layout) and the
  // keeper that revokes them and disconnects their clients. Required, before start().
  void set_credentials(std::shared_ptr<auth::CredentialStore> store, std::shared_ptr<auth::CredentialKeeper> keeper);
  void set_listeners(std::function<std::vector<std::pair<std::string, std::uint16_t>>()> ports);
  // The running broker's sessions and kick for GET /sessions, GET and DELETE /client. Without
  // (sakura-ctl offline) those routes answer 503 no_broker. Before start().
  struct BrokerAdmin {
    std::function<std::vector<broker::Broker::SessionInfo>(std::size_t limit)> sessions;
    std::function<std::optional<broker::Broker::SessionInfo>(const std::string& client_id)> session;
    std::function<std::size_t()> session_count;
    std::function<void(const std::string& client_id)> kick;
  };
  void set_broker_admin(BrokerAdmin admin);

  // One request handled in this process as if it came to the ops bind with the admin token,
  // without a socket: sakura-ctl's offline mode runs its commands through the same routes the
  // running broker serves. `done` gets the status and the JSON body, from any thread.
  void call(std::string method, std::string target, std::string body,
            std::function<void(unsigned status, std::string body)> done);

  // Binds (throws std::system_error on failure) and starts serving.
  void start();
  void stop();
  std::uint16_t port() const;      // the public bind's, 0 when off
  std::uint16_t ops_port() const;  // the ops bind's, 0 when off

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace http
