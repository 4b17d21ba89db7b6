#include "broker_metrics.hpp"

#include <fmt/format.h>

#include "broker/connection_limiter.hpp"
#include "broker/persistence.hpp"
#include "broker/server.hpp"

namespace app {

namespace {
void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n", name, help, type);
}

void metric(std::string& out, const char* name, const char* type, const char* help, std::uint64_t v) {
  family(out, name, type, help);
  out += fmt::format("{} {}\n", name, v);
}
}  // namespace

void append_broker_metrics(broker::Server& server, std::string& out) {
  auto& b = server.broker();
  if (auto* p = b.persistence()) {
    metric(out, "sakura_persistence_stored_bytes", "gauge", "message bytes held by the persistence store",
           p->stored_bytes());
    metric(out, "sakura_persistence_dropped_total", "counter",
           "messages for offline persistent sessions dropped at persistence.max_bytes",
           b.stats().get(broker::Stat::persistence_dropped));
    metric(out, "sakura_persistence_failing", "gauge",
           "1 while the persistence store cannot write (nothing new is stored meanwhile)",
           p->failing() ? 1 : 0);
    metric(out, "sakura_persistence_refused_total", "counter",
           "messages for offline persistent sessions refused while the store could not write",
           b.stats().get(broker::Stat::persistence_refused));
  }
  metric(out, "sakura_topics_rejected_total", "counter",
         "PUBLISH topics, will topics and filters over limits.max_topic_levels/max_topic_length",
         b.stats().get(broker::Stat::topics_rejected));
  metric(out, "sakura_subscriptions_rejected_total", "counter",
         "filters refused by limits.max_subscriptions or limits.max_subscription_bytes",
         b.stats().get(broker::Stat::subscriptions_rejected));
  metric(out, "sakura_connects_too_large_total", "counter", "CONNECTs over limits.max_connect_size",
         b.stats().get(broker::Stat::connects_too_large));
  metric(out, "sakura_deliveries_shed_total", "counter",
         "QoS 0 deliveries dropped because their worker was over limits.max_worker_backlog",
         b.stats().get(broker::Stat::deliveries_shed));
  metric(out, "sakura_client_id_refused_total", "counter",
         "CONNECTs refused because the client id belongs to another user's session",
         b.stats().get(broker::Stat::client_id_refused));
  metric(out, "sakura_client_id_reclaimed_total", "counter",
         "sessions of another user ended because the connecting account owns the client id",
         b.stats().get(broker::Stat::client_id_reclaimed));
  metric(out, "sakura_retained_messages", "gauge", "retained messages held", b.retained().size());
  metric(out, "sakura_retained_rejected_total", "counter",
         "retained messages refused (limits.max_retained, limits.max_retained_payload)",
         b.retained().rejected());

  // For judging node.placement.
  auto& pool = server.pool();
  family(out, "sakura_worker_connections", "gauge", "MQTT clients connected, by worker thread");
  for (unsigned w = 0; w < pool.size(); ++w)
    out += fmt::format("sakura_worker_connections{{worker=\"{}\"}} {}\n", w,
                       b.stats().get(w, broker::Stat::clients_connected));
  family(out, "sakura_worker_backlog", "gauge",
         "deliveries other workers posted to the worker that it has not run yet");
  for (unsigned w = 0; w < pool.size(); ++w)
    out += fmt::format("sakura_worker_backlog{{worker=\"{}\"}} {}\n", w, b.worker_backlog(w));
  family(out, "sakura_worker_busy_ratio", "gauge",
         "share of one core the worker thread used at the last sample");
  for (unsigned w = 0; w < pool.size(); ++w)
    out += fmt::format("sakura_worker_busy_ratio{{worker=\"{}\"}} {:.3f}\n", w, pool.busy(w));
}

void append_connection_metrics(
    const std::vector<std::pair<const char*, const broker::ConnectionLimiter*>>& limiters, std::string& out) {
  std::vector<broker::ConnectionLimiter::ListenerFigures> all;
  for (auto [scope, l] : limiters)
    for (auto& f : l->figures()) all.push_back(f);
  family(out, "sakura_listener_connections", "gauge",
         "connections admitted and open (handshakes included), by listener");
  for (auto& f : all) out += fmt::format("sakura_listener_connections{{listener=\"{}\"}} {}\n", f.name, f.connections);
  family(out, "sakura_connections_refused_total", "counter",
         "connections closed at accept, or accepts that failed, by listener and reason (max_connections, "
         "listener, address, rate, descriptors)");
  for (auto& f : all)
    for (std::size_t r = 0; r < f.refused.size(); ++r)
      out += fmt::format("sakura_connections_refused_total{{listener=\"{}\",reason=\"{}\"}} {}\n", f.name,
                         broker::to_string(static_cast<broker::Refusal>(r)), f.refused[r]);
  family(out, "sakura_connections_limit", "gauge",
         "the cap on connections at once: limits.max_connections (mqtt), http.max_connections (http) and "
         "http.ops_max_connections (http_ops); 0 = none");
  for (auto [scope, l] : limiters)
    out += fmt::format("sakura_connections_limit{{scope=\"{}\"}} {}\n", scope, l->limits().max_connections);
}

}  // namespace app
