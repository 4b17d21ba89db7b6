// GET /healthz for load balancers (the stores answer and listeners are bound) and GET /metrics
// in Prometheus text format (broker counters, this API's counters, other modules' sources).
#include <boost/asio/post.hpp>

#include "broker/stats.hpp"
#include "credentials.hpp"
#include "json.hpp"

namespace http::detail {

void handle_healthz(const ContextPtr& ctx, Reply reply) {
  struct Probe {
    std::mutex mutex;
    std::string kv = "timeout", sql = "timeout";
  };
  auto probe = std::make_shared<Probe>();
  auto join = Join::make(2, [ctx, probe, reply](storage::Status) {
    std::lock_guard lock(probe->mutex);
    auto ports = ctx->listeners ? ctx->listeners() : std::vector<std::pair<std::string, std::uint16_t>>{};
    // A database that answers may still refuse every history row (an old lockhistory left
    // unconverted): the events pile up in the spool, so that is degraded too.
    bool history_failing = ctx->store.history && ctx->store.history->stats().failing;
    bool ok = probe->kv == "ok" && probe->sql == "ok" && !history_failing;
    JsonOut j;
    j.begin_object().key("status").str(ok ? "ok" : "degraded")
        .key("kv").str(probe->kv).key("sql").str(probe->sql)
        .key("history").str(history_failing ? "failing" : "ok")
        .key("listeners").begin_object();
    for (auto& [name, port] : ports) j.key(name).num(port);
    j.end_object().end_object();
    reply(json_response(ok ? 200 : 503, j.take()));
  });
  ctx->store.kv->exists(storage::Db::auth, "sakura:healthz", [probe, join](storage::Result<bool> r) {
    {
      std::lock_guard lock(probe->mutex);
      probe->kv = r.ok ? "ok" : r.message;
    }
    join->step(storage::Status::success());
  });
  ctx->store.sql->schema_version([probe, join](storage::Result<int> r) {
    {
      std::lock_guard lock(probe->mutex);
      probe->sql = r.ok ? "ok" : r.message;
    }
    join->step(storage::Status::success());
  });
}

namespace {
void metric(std::string& out, const char* name, const char* type, const char* help, std::uint64_t v,
            const std::string& labels = "") {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += labels;
  out += ' ' + std::to_string(v) + '\n';
}
}  // namespace

void handle_metrics(const ContextPtr& ctx, Reply reply) {
  std::string out;
  if (auto* s = ctx->stats) {
    using broker::Stat;
    auto v = [s](Stat stat) { return s->get(stat); };
    metric(out, "sakura_clients_connected", "gauge", "MQTT clients connected", v(Stat::clients_connected));
    metric(out, "sakura_clients_total", "counter", "MQTT connections accepted", v(Stat::clients_total));
    metric(out, "sakura_messages_received_total", "counter", "PUBLISH packets received", v(Stat::messages_received));
    metric(out, "sakura_messages_sent_total", "counter", "PUBLISH packets sent", v(Stat::messages_sent));
    metric(out, "sakura_messages_dropped_total", "counter", "messages dropped", v(Stat::messages_dropped));
    metric(out, "sakura_publish_denied_total", "counter", "PUBLISH denied by ACL", v(Stat::publish_denied));
    metric(out, "sakura_subscribe_denied_total", "counter", "SUBSCRIBE filters denied", v(Stat::subscribe_denied));
    metric(out, "sakura_bytes_received_total", "counter", "MQTT bytes received", v(Stat::bytes_received));
    metric(out, "sakura_bytes_sent_total", "counter", "MQTT bytes sent", v(Stat::bytes_sent));
    metric(out, "sakura_connect_refused_total", "counter", "CONNECT refused", v(Stat::connect_refused));
    metric(out, "sakura_protocol_errors_total", "counter", "protocol errors", v(Stat::protocol_errors));
    metric(out, "sakura_slow_consumers_total", "counter", "slow consumers cut off", v(Stat::slow_consumers));
    metric(out, "sakura_keepalive_timeouts_total", "counter", "keepalive timeouts", v(Stat::keepalive_timeouts));
    metric(out, "sakura_wills_published_total", "counter", "wills published", v(Stat::wills_published));
  }
  auto& c = ctx->counters;
  out += "# HELP sakura_http_responses_total HTTP responses by status class\n"
         "# TYPE sakura_http_responses_total counter\n";
  for (int i = 1; i <= 5; ++i)
    out += "sakura_http_responses_total{code=\"" + std::to_string(i) + "xx\"} " +
           std::to_string(c.responses[i].load()) + "\n";
  out += "# HELP sakura_login_total /login and /bind outcomes\n# TYPE sakura_login_total counter\n";
  out += "sakura_login_total{result=\"bound\"} " + std::to_string(c.login_bound.load()) + "\n";
  out += "sakura_login_total{result=\"unknown\"} " + std::to_string(c.login_unknown.load()) + "\n";
  out += "sakura_login_total{result=\"failed\"} " + std::to_string(c.login_failed.load()) + "\n";
  out += "# HELP sakura_history_auth_total GET /history Basic credential checks\n"
         "# TYPE sakura_history_auth_total counter\n";
  out += "sakura_history_auth_total{result=\"ok\"} " + std::to_string(c.history_ok.load()) + "\n";
  out += "sakura_history_auth_total{result=\"refused\"} " + std::to_string(c.history_refused.load()) + "\n";
  metric(out, "sakura_http_rate_limited_total", "counter", "requests refused by rate limits", c.rate_limited);
  metric(out, "sakura_binds_total", "counter", "users bound to locks", c.binds);
  metric(out, "sakura_unbinds_total", "counter", "users unbound", c.unbinds);
  metric(out, "sakura_ota_offers_total", "counter", "OTA offers published", c.ota_offers);
  metric(out, "sakura_fw_reports_total", "counter", "firmware reports received", c.fw_reports);
  metric(out, "sakura_fw_reports_rejected_total", "counter",
         "firmware reports dropped: longer than 4 KiB or not a JSON object", c.fw_rejected);
  metric(out, "sakura_firmware_bytes_served_total", "counter", "firmware bytes downloaded",
         c.firmware_bytes_served);
  if (ctx->store.history) {
    auto h = ctx->store.history->stats();
    metric(out, "sakura_history_pending", "gauge", "history events waiting for the database", h.pending);
    metric(out, "sakura_history_written_total", "counter", "history events written", h.written);
    metric(out, "sakura_history_rejected_total", "counter", "history events refused (spool full)", h.rejected);
    metric(out, "sakura_history_write_failures_total", "counter", "failed database writes of history (each retried)",
           h.failures);
    metric(out, "sakura_history_write_failing", "gauge",
           "1 while the last database write of history failed (events wait in the spool)", h.failing ? 1 : 0);
  }
  for (auto& source : ctx->metrics) source(out);
  reply(text_response(200, std::move(out), "text/plain; version=0.0.4"));
}

}  // namespace http::detail
