#include "wiring.hpp"

#include <algorithm>

#include "auth/authenticator.hpp"
#include "auth/metrics.hpp"
#include "broker/persistence.hpp"
#include "broker/server.hpp"
#include "broker_metrics.hpp"
#include "descriptors.hpp"
#include "http/api.hpp"
#include "lockrules/lock_rules.hpp"
#include "wire_auth.hpp"
#include "wire_http.hpp"
#include "wire_listeners.hpp"
#include "wire_lockrules.hpp"
#include "wire_persistence.hpp"
#include "wire_storage.hpp"

namespace app {

namespace {
// `auto` or a count (0: no cap).
std::size_t count_or_auto(const Config& c, const std::string& key, std::size_t automatic) {
  auto text = c.str(key);
  if (text == "auto") return automatic;
  try {
    std::size_t used = 0;
    auto n = std::stoull(text, &used);
    if (used == text.size() && text[0] != '-') return static_cast<std::size_t>(n);
  } catch (const std::exception&) {
  }
  throw ConfigError(key + ": expected auto or a count, got '" + text + "'");
}

DescriptorBudget budget(const Config& c) {
  return descriptor_budget(open_files_limit(), static_cast<std::size_t>(c.integer("limits.reserved_descriptors")));
}

broker::ConnectionLimits connection_limits(const Config& c, std::size_t max_connections) {
  broker::ConnectionLimits l;
  l.max_connections = max_connections;
  l.max_per_address = static_cast<std::size_t>(c.integer("limits.max_connections_per_address"));
  l.accept_rate = static_cast<double>(c.integer("limits.accept_rate"));
  l.accept_burst = static_cast<double>(c.integer("limits.accept_burst"));
  return l;
}

broker::ServerOptions server_options(const Config& c) {
  broker::ServerOptions o;
  o.threads = static_cast<unsigned>(c.integer("node.threads"));
  o.placement.placement = c.str("node.placement") == "spread" ? broker::Placement::spread : broker::Placement::pack;
  o.placement.pack_below = static_cast<double>(c.integer("node.pack_below")) / 100.0;
  o.version = SAKURA_VERSION;
  auto& b = o.broker;
  b.max_packet_size = c.size("limits.max_packet_size");
  b.max_inflight = static_cast<std::uint16_t>(c.integer("limits.max_inflight"));
  b.max_queued_messages = static_cast<std::size_t>(c.integer("limits.max_queued_messages"));
  b.max_queued_bytes = c.size("limits.max_queued_bytes");
  b.queue_qos0_offline = c.boolean("limits.queue_qos0_offline");
  b.max_write_queue_bytes = c.size("limits.max_write_queue");
  b.max_subscriptions_per_client = static_cast<std::size_t>(c.integer("limits.max_subscriptions"));
  b.topics.max_levels = static_cast<std::size_t>(c.integer("limits.max_topic_levels"));
  b.topics.max_length = static_cast<std::size_t>(c.integer("limits.max_topic_length"));
  b.max_subscription_bytes = c.size("limits.max_subscription_bytes");
  b.max_client_id_length = static_cast<std::size_t>(c.integer("limits.max_client_id_length"));
  b.connect_timeout = c.duration("limits.connect_timeout");
  b.session_expiry = c.duration("limits.session_expiry");
  b.max_connect_size = c.size("limits.max_connect_size");
  b.max_keepalive = static_cast<std::uint16_t>(std::min<std::int64_t>(c.integer("limits.max_keepalive"), 65535));
  b.max_worker_backlog = static_cast<std::size_t>(c.integer("limits.max_worker_backlog"));
  o.tcp_keepalive = std::chrono::duration_cast<std::chrono::seconds>(c.duration("limits.tcp_keepalive"));
  b.sys_interval = c.duration("limits.sys_interval");
  b.retained.max_messages = static_cast<std::size_t>(c.integer("limits.max_retained"));
  b.retained.max_payload = c.size("limits.max_retained_payload");
  b.persistence_max_bytes = c.size("persistence.max_bytes");
  o.connections = connection_limits(c, count_or_auto(c, "limits.max_connections", budget(c).mqtt));
  return o;
}
}  // namespace

Application::Application(const Config& config, const Logging& logging) : config_(config), logging_(logging) {
  server_ = std::make_unique<broker::Server>(server_options(config), logging.get("broker"));
  // Restored before anything can connect: the listeners open only in start().
  persistence_ = wire_persistence(*server_, config, logging);
  reload_certificates_ = wire_listeners(*server_, config, logging);
  storage_ = wire_storage(*server_, config, logging);
  auto auth = wire_auth(*server_, config, logging, *storage_);
  lockrules_ = wire_lockrules(*server_, config, logging, *storage_, auth.keeper);
  if (auth.authenticator) server_->broker().set_authenticator(lockrules_->guard_client_ids(auth.authenticator));
  // The HTTP API admits its connections on a limiter of its own: its cap comes out of the reserve
  // the MQTT cap leaves, so neither can take the other's descriptors.
  auto http_connections = std::make_shared<broker::ConnectionLimiter>(
      connection_limits(config, count_or_auto(config, "http.max_connections", budget(config).http)));
  // The ops bind's cap is its own (a public flood never locks /metrics and the admin routes out),
  // from the same reserve: the budget leaves half of it to neither.
  auto ops_connections = std::make_shared<broker::ConnectionLimiter>(
      connection_limits(config, static_cast<std::size_t>(config.integer("http.ops_max_connections"))));
  http_ = wire_http(
      *server_, config, logging, *storage_, auth.keeper, auth.authenticator, {http_connections, ops_connections},
      {[m = lockrules_->metrics()](std::string& out) { m->append_prometheus(out); },
       [a = auth](std::string& out) { auth::append_prometheus(*a.authenticator, *a.keeper, out); },
       [s = server_.get(), http_connections, ops_connections](std::string& out) {
         append_broker_metrics(*s, out);
         append_connection_metrics(
             {{"mqtt", &s->limiter()}, {"http", http_connections.get()}, {"http_ops", ops_connections.get()}}, out);
       }});
}

Application::~Application() {
  if (persistence_) persistence_->close();  // a start that failed half-way still keeps the journal whole
}

void Application::start() { server_->start(); }
void Application::stop() {
  if (http_) http_->stop();
  server_->stop();  // closes every connection: their sessions are recorded as detached
  if (persistence_) persistence_->close();
  lockrules_->close();  // store answers still arriving must not reach the stopped broker
  // The loops are joined: Redis replies still awaited will never be read, and their callbacks
  // hold the rules and the store (a cycle LeakSanitizer reports when a will's status write was
  // in flight at SIGTERM).
  storage_->kv->abandon();
}
void Application::reload_certificates() { reload_certificates_(); }

std::vector<std::pair<std::string, std::uint16_t>> Application::ports() const {
  auto ports = server_->ports();
  if (http_ && http_->port()) ports.emplace_back("http", http_->port());
  if (http_ && http_->ops_port()) ports.emplace_back("http_ops", http_->ops_port());
  return ports;
}

}  // namespace app
