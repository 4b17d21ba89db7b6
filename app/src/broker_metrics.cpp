#include "broker_metrics.hpp"

#include <cmath>
#include <string>

#include "broker/connection_limiter.hpp"
#include "broker/persistence.hpp"
#include "broker/server.hpp"
#include "common/prometheus_text.hpp"

namespace app {

using common::PrometheusText;
using Type = PrometheusText::Type;

void append_broker_metrics(broker::Server& server, std::string& out) {
  PrometheusText p(out);
  auto& b = server.broker();
  auto stat = [&b](broker::Stat s) { return b.stats().get(s); };
  if (auto* store = b.persistence()) {
    p.gauge("sakura_persistence_stored_bytes", "message bytes held by the persistence store", store->stored_bytes());
    p.counter("sakura_persistence_dropped_total",
              "messages for offline persistent sessions dropped at persistence.max_bytes",
              stat(broker::Stat::persistence_dropped));
    p.gauge("sakura_persistence_failing",
            "1 while the persistence store cannot write (nothing new is stored meanwhile)", store->failing() ? 1 : 0);
    p.counter("sakura_persistence_refused_total",
              "messages for offline persistent sessions refused while the store could not write",
              stat(broker::Stat::persistence_refused));
  }
  p.counter("sakura_topics_rejected_total",
            "PUBLISH topics, will topics and filters over limits.max_topic_levels/max_topic_length",
            stat(broker::Stat::topics_rejected));
  p.counter("sakura_subscriptions_rejected_total",
            "filters refused by limits.max_subscriptions or limits.max_subscription_bytes",
            stat(broker::Stat::subscriptions_rejected));
  p.counter("sakura_connects_too_large_total", "CONNECTs over limits.max_connect_size",
            stat(broker::Stat::connects_too_large));
  p.counter("sakura_deliveries_shed_total",
            "QoS 0 deliveries dropped because their worker was over limits.max_worker_backlog",
            stat(broker::Stat::deliveries_shed));
  p.counter("sakura_client_id_refused_total",
            "CONNECTs refused because the client id belongs to another user's session",
            stat(broker::Stat::client_id_refused));
  p.counter("sakura_client_id_reclaimed_total",
            "sessions of another user ended because the connecting account owns the client id",
            stat(broker::Stat::client_id_reclaimed));
  p.gauge("sakura_retained_messages", "retained messages held", b.retained().size());
  p.counter("sakura_retained_rejected_total",
            "retained messages refused (limits.max_retained, limits.max_retained_payload)", b.retained().rejected());

  // For judging node.placement.
  auto& pool = server.pool();
  p.family("sakura_worker_connections", Type::gauge, "MQTT clients connected, by worker thread");
  for (unsigned w = 0; w < pool.size(); ++w)
    p.sample("sakura_worker_connections", {{"worker", std::to_string(w)}},
             b.stats().get(w, broker::Stat::clients_connected));
  p.family("sakura_worker_backlog", Type::gauge,
           "deliveries other workers posted to the worker that it has not run yet");
  for (unsigned w = 0; w < pool.size(); ++w)
    p.sample("sakura_worker_backlog", {{"worker", std::to_string(w)}}, b.worker_backlog(w));
  p.family("sakura_worker_busy_ratio", Type::gauge, "share of one core the worker thread used at the last sample");
  // To the per mille, as before: a finer figure is noise between two samples.
  for (unsigned w = 0; w < pool.size(); ++w)
    p.sample("sakura_worker_busy_ratio", {{"worker", std::to_string(w)}}, std::round(pool.busy(w) * 1000) / 1000);
}

void append_connection_metrics(const std::vector<std::pair<const char*, const broker::ConnectionLimiter*>>& limiters,
                               std::string& out) {
  PrometheusText p(out);
  std::vector<broker::ConnectionLimiter::ListenerFigures> all;
  for (auto [scope, l] : limiters)
    for (auto& f : l->figures()) all.push_back(f);
  p.family("sakura_listener_connections", Type::gauge,
           "connections admitted and open (handshakes included), by listener");
  for (auto& f : all) p.sample("sakura_listener_connections", {{"listener", f.name}}, f.connections);
  p.family("sakura_connections_refused_total", Type::counter,
           "connections closed at accept, or accepts that failed, by listener and reason (max_connections, "
           "listener, address, rate, descriptors)");
  for (auto& f : all)
    for (std::size_t r = 0; r < f.refused.size(); ++r)
      p.sample("sakura_connections_refused_total",
               {{"listener", f.name}, {"reason", broker::to_string(static_cast<broker::Refusal>(r))}}, f.refused[r]);
  p.family("sakura_connections_limit", Type::gauge,
           "the cap on connections at once: limits.max_connections (mqtt), http.max_connections (http) and "
           "http.ops_max_connections (http_ops); 0 = none");
  for (auto [scope, l] : limiters)
    p.sample("sakura_connections_limit", {{"scope", scope}}, l->limits().max_connections);
}

}  // namespace app
