#include "lockrules/metrics.hpp"

#include "common/prometheus_text.hpp"

namespace lockrules {

void Metrics::each(const std::function<void(const char*, const char*, std::int64_t, bool)>& fn) const {
  auto c = [&](const char* name, const char* help, const Counter& v) {
    fn(name, help, static_cast<std::int64_t>(v.load(std::memory_order_relaxed)), false);
  };
  c("unlocks", "unlock commands published after both owners asked", unlocks);
  c("unlocks_undelivered", "unlocks not sent because the lock was not connected", unlocks_undelivered);
  c("windows_opened", "unlock windows opened by a first owner", windows_opened);
  c("windows_renewed", "unlock windows renewed by the same owner", windows_renewed);
  c("windows_expired", "unlock windows that ran out without the other owner", windows_expired);
  c("revocations", "credentials deleted on /unauth", revocations);
  c("revocations_empty", "/unauth for a user with no stored credentials", revocations_empty);
  c("unauth_forged", "/unauth naming another user, ignored", unauth_forged);
  c("history_events", "lock status changes recorded in history", history_events);
  c("history_failures", "lock status changes the history spool refused", history_failures);
  c("status_unchanged", "lock status reports equal to the last known status", status_unchanged);
  c("status_other", "lock status reports other than -2, 0 or 1, stored in monitor without history", status_other);
  c("status_invalid", "lock status reports too long or not printable, ignored", status_invalid);
  c("forged_commands", "lock commands from non-superusers and unlock requests from anonymous clients, dropped",
    forged_commands);
  c("forged_reports", "lock reports (/statu, /fw) from another account than the lock's, dropped", forged_reports);
  c("retain_refused", "retained publishes on rule topics, routed without retain", retain_refused);
  c("ignored_topics", "lock-shaped topics without an 11-character lockno, ignored", ignored_topics);
  c("client_ids_refused", "CONNECTs refused: a lockno as client id of another account, or the reverse",
    client_ids_refused);
  c("store_errors", "lock rule inputs dropped because the key-value store failed", store_errors);
  c("overloaded", "lock rule inputs dropped because their lock had too many queued", overloaded);
  fn("pending", "lock rule inputs queued or running", pending.load(std::memory_order_relaxed), true);
}

void Metrics::append_prometheus(std::string& out) const {
  common::PrometheusText p(out);
  each([&p](const char* name, const char* help, std::int64_t value, bool gauge) {
    std::string full = std::string("sakura_lockrules_") + name + (gauge ? "" : "_total");
    if (gauge) p.gauge(full, help, value);
    else p.counter(full, help, value);
  });
}

}  // namespace lockrules
