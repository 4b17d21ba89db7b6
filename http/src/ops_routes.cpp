// GET /healthz for load balancers (the stores answer and listeners are bound) and GET /metrics
// in Prometheus text format (broker counters, this API's counters, other modules' sources).
#include <boost/asio/post.hpp>

#include "broker/stats.hpp"
#include "common/prometheus_text.hpp"
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
    j.begin_object()
        .key("status")
        .str(ok ? "ok" : "degraded")
        .key("kv")
        .str(probe->kv)
        .key("sql")
        .str(probe->sql)
        .key("history")
        .str(history_failing ? "failing" : "ok")
        .key("listeners")
        .begin_object();
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

void handle_metrics(const ContextPtr& ctx, Reply reply) {
  using Type = common::PrometheusText::Type;
  std::string out;
  common::PrometheusText p(out);
  if (auto* s = ctx->stats) {
    using broker::Stat;
    auto v = [s](Stat stat) { return s->get(stat); };
    p.gauge("sakura_clients_connected", "MQTT clients connected", v(Stat::clients_connected));
    p.counter("sakura_clients_total", "MQTT connections accepted", v(Stat::clients_total));
    p.counter("sakura_messages_received_total", "PUBLISH packets received", v(Stat::messages_received));
    p.counter("sakura_messages_sent_total", "PUBLISH packets sent", v(Stat::messages_sent));
    p.counter("sakura_messages_dropped_total", "messages dropped", v(Stat::messages_dropped));
    p.counter("sakura_publish_denied_total", "PUBLISH denied by ACL", v(Stat::publish_denied));
    p.counter("sakura_subscribe_denied_total", "SUBSCRIBE filters denied", v(Stat::subscribe_denied));
    p.counter("sakura_bytes_received_total", "MQTT bytes received", v(Stat::bytes_received));
    p.counter("sakura_bytes_sent_total", "MQTT bytes sent", v(Stat::bytes_sent));
    p.counter("sakura_connect_refused_total", "CONNECT refused", v(Stat::connect_refused));
    p.counter("sakura_protocol_errors_total", "protocol errors", v(Stat::protocol_errors));
    p.counter("sakura_slow_consumers_total", "slow consumers cut off", v(Stat::slow_consumers));
    p.counter("sakura_keepalive_timeouts_total", "keepalive timeouts", v(Stat::keepalive_timeouts));
    p.counter("sakura_wills_published_total", "wills published", v(Stat::wills_published));
  }
  auto& c = ctx->counters;
  p.family("sakura_http_responses_total", Type::counter, "HTTP responses by status class");
  for (int i = 1; i <= 5; ++i)
    p.sample("sakura_http_responses_total", {{"code", std::to_string(i) + "xx"}}, c.responses[i].load());
  p.family("sakura_login_total", Type::counter, "/login and /bind outcomes");
  p.sample("sakura_login_total", {{"result", "bound"}}, c.login_bound.load());
  p.sample("sakura_login_total", {{"result", "unknown"}}, c.login_unknown.load());
  p.sample("sakura_login_total", {{"result", "failed"}}, c.login_failed.load());
  p.family("sakura_history_auth_total", Type::counter, "GET /history Basic credential checks");
  p.sample("sakura_history_auth_total", {{"result", "ok"}}, c.history_ok.load());
  p.sample("sakura_history_auth_total", {{"result", "refused"}}, c.history_refused.load());
  p.counter("sakura_http_rate_limited_total", "requests refused by rate limits", c.rate_limited.load());
  p.counter("sakura_binds_total", "users bound to locks", c.binds.load());
  p.counter("sakura_unbinds_total", "users unbound", c.unbinds.load());
  p.counter("sakura_ota_offers_total", "OTA offers published", c.ota_offers.load());
  p.counter("sakura_fw_reports_total", "firmware reports received", c.fw_reports.load());
  p.counter("sakura_fw_reports_rejected_total", "firmware reports dropped: longer than 4 KiB or not a JSON object",
            c.fw_rejected.load());
  p.counter("sakura_firmware_bytes_served_total", "firmware bytes downloaded", c.firmware_bytes_served.load());
  if (ctx->store.history) {
    auto h = ctx->store.history->stats();
    p.gauge("sakura_history_pending", "history events waiting for the database", h.pending);
    p.counter("sakura_history_written_total", "history events written", h.written);
    p.counter("sakura_history_rejected_total", "history events refused (spool full)", h.rejected);
    p.counter("sakura_history_write_failures_total", "failed database writes of history (each retried)", h.failures);
    p.gauge("sakura_history_write_failing",
            "1 while the last database write of history failed (events wait in the spool)", h.failing ? 1 : 0);
  }
  for (auto& source : ctx->metrics) source(out);
  reply(text_response(200, std::move(out), "text/plain; version=0.0.4"));
}

}  // namespace http::detail
