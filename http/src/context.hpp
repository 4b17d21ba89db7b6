#pragma once
// What every route handler shares: settings, stores, the broker's control surface, the WeChat
// client, rate limits, the admin token and counters. Built once by HttpApi.
//
// THREADING: fields are set before the server starts and read-only afterwards, except the
// counters (atomics) and `online` (its own mutex). Handlers run on session strands and storage
// threads alike.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "exchange.hpp"
#include "http/api.hpp"
#include "rate_limiter.hpp"
#include "wechat_client.hpp"

namespace auth {
class CredentialKeeper;
class CredentialStore;
}  // namespace auth
namespace broker {
class Authenticator;
class BrokerControl;
class Stats;
}  // namespace broker

namespace http::detail {

struct Counters {
  std::atomic<std::uint64_t> responses[6] = {};  // by status class: [2] = 2xx ... [5] = 5xx
  std::atomic<std::uint64_t> login_bound{0}, login_unknown{0}, login_failed{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> binds{0}, unbinds{0};
  std::atomic<std::uint64_t> ota_offers{0}, fw_reports{0};
  std::atomic<std::uint64_t> fw_rejected{0};  // /fw reports too long or not a JSON object
  std::atomic<std::uint64_t> firmware_bytes_served{0};
  // GET /history with Basic credentials: accepted, refused (every failure alike, throttled too).
  std::atomic<std::uint64_t> history_ok{0}, history_refused{0};
};

struct ConnectedClient {
  std::optional<std::string> username;
  std::string address;
  std::string listener;
  std::int64_t since_ms = 0;
};

struct Context {
  Options opt;
  storage::Storage store;
  broker::BrokerControl* control = nullptr;
  const broker::Stats* stats = nullptr;
  std::shared_ptr<spdlog::logger> log;
  std::unique_ptr<WechatClient> wechat;
  std::unique_ptr<RateLimiter> limiter;
  // The MQTT authenticator, which also checks /history's Basic credentials; null: none accepted.
  std::shared_ptr<broker::Authenticator> authenticator;
  std::string admin_token;
  std::string firmware_dir;  // data_dir/firmware
  // Blocking file work (firmware files) runs here, never on a session strand.
  std::unique_ptr<boost::asio::thread_pool> files;
  std::vector<HttpApi::MetricsSource> metrics;
  std::shared_ptr<auth::CredentialStore> credentials;
  std::shared_ptr<auth::CredentialKeeper> keeper;
  std::function<std::vector<std::pair<std::string, std::uint16_t>>()> listeners;
  Counters counters;

  // Usernames with a live MQTT connection on this node (count per username).
  std::mutex online_mutex;
  std::unordered_map<std::string, int> online;
  bool is_online(const std::string& username);

  // Connected clients by client id, for GET /clients (one entry per live connection, so bounded
  // by the connection caps). A takeover connects the new one before the old one's disconnect:
  // the entry is dropped only when the address that leaves is the one recorded.
  std::mutex clients_mutex;
  std::unordered_map<std::string, ConnectedClient> clients;
  HttpApi::BrokerAdmin broker_admin;
};

using ContextPtr = std::shared_ptr<Context>;

// Route handlers, one group per file.
void handle_login(const ContextPtr& ctx, Exchange& ex, Reply reply);
void handle_bind(const ContextPtr& ctx, Exchange& ex, Reply reply);
void handle_unbind(const ContextPtr& ctx, Exchange& ex, Reply reply);
void handle_history(const ContextPtr& ctx, Exchange& ex, Reply reply);
void handle_device_register(const ContextPtr& ctx, Exchange& ex, Reply reply);
void handle_device_list(const ContextPtr& ctx, Exchange& ex, Reply reply);
void handle_device_get(const ContextPtr& ctx, const std::string& lockno, Reply reply);
void handle_device_delete(const ContextPtr& ctx, const std::string& lockno, Reply reply);
void handle_bindcodes(const ContextPtr& ctx, Exchange& ex, const std::string& lockno, Reply reply);
// Where an admitted POST /firmware body goes (a temporary file and a running SHA-256);
// handle_firmware_upload stores what it received.
std::shared_ptr<BodySink> image_upload_sink(const ContextPtr& ctx);
Response invalid_version();
void handle_firmware_upload(const ContextPtr& ctx, Exchange& ex, Reply reply);
void handle_firmware_list(const ContextPtr& ctx, Reply reply);
void handle_firmware_download(const ContextPtr& ctx, Exchange& ex, const std::string& version, Reply reply);
void handle_ota(const ContextPtr& ctx, Exchange& ex, Reply reply);
void handle_healthz(const ContextPtr& ctx, Reply reply);
void handle_metrics(const ContextPtr& ctx, Reply reply);

// Shared checks. Each answers the client itself and returns false when the request stops here.
// The admin token is accepted on the ops bind only; elsewhere an admin route does not exist (404).
bool check_admin(const Context& ctx, const Exchange& ex, const Reply& reply);
bool check_rate(Context& ctx, const Exchange& ex, const Reply& reply);
bool valid_lockno(const std::string& s);
bool valid_version(const std::string& s);
Response storage_error(const std::string& what);

// The admin routes of admin_routes.cpp (users, ACL rows, bindings, credentials, clients,
// sessions, locks, a lock's new password), resolved from the method and path alone.
struct AdminRoute {
  enum Id { none, users, user, acl, bindings, credentials, clients, client, sessions, lock, device_password };
  Id id = none;
  bool method_ok = false;
  std::string lockno;  // lock and device_password: from the path
};
AdminRoute resolve_admin(bhttp::verb method, const std::string& path);
void handle_admin(const ContextPtr& ctx, Exchange& ex, const AdminRoute& route, Reply reply);

}  // namespace http::detail
