#include "fw_observer.hpp"

#include <spdlog/spdlog.h>

#include "broker/log_text.hpp"
#include "common/clock.hpp"
#include "context.hpp"
#include "json.hpp"

namespace http::detail {

std::string fw_topic_lockno(std::string_view topic) {
  constexpr std::string_view leaf = "/fw";
  if (topic.size() < leaf.size() + 2 || topic.front() != '/' || topic.substr(topic.size() - leaf.size()) != leaf)
    return {};
  auto lockno = std::string(topic.substr(1, topic.size() - 1 - leaf.size()));
  return valid_lockno(lockno) ? lockno : std::string();
}

void FwObserver::on_connected(const broker::ClientInfo& c) {
  {
    std::lock_guard lock(ctx_->clients_mutex);
    ctx_->clients[c.client_id] = ConnectedClient{c.username, c.address, c.listener, common::unix_ms_now()};
  }
  if (!c.username) return;
  {
    std::lock_guard lock(ctx_->online_mutex);
    ++ctx_->online[*c.username];
  }
  if (valid_lockno(*c.username))
    ctx_->store.sql->touch_device(*c.username, common::unix_ms_now(), [](storage::Result<bool>) {});
}

void FwObserver::on_disconnected(const broker::ClientInfo& c, broker::DisconnectReason) {
  {
    std::lock_guard lock(ctx_->clients_mutex);
    auto it = ctx_->clients.find(c.client_id);
    if (it != ctx_->clients.end() && it->second.address == c.address) ctx_->clients.erase(it);
  }
  if (!c.username) return;
  {
    std::lock_guard lock(ctx_->online_mutex);
    auto it = ctx_->online.find(*c.username);
    if (it != ctx_->online.end() && --it->second <= 0) ctx_->online.erase(it);
  }
  if (valid_lockno(*c.username))
    ctx_->store.sql->touch_device(*c.username, common::unix_ms_now(), [](storage::Result<bool>) {});
}

void FwObserver::on_publish(const broker::ClientInfo& from, const broker::MessagePtr& m) {
  auto lockno = fw_topic_lockno(m->topic);
  if (lockno.empty()) return;
  // Only the lock speaks for itself (the ACL already says so; this keeps a superuser's test
  // publish or a misconfigured ACL from rewriting another lock's version).
  if (!from.superuser && from.username != lockno) return;
  // A lock's account is a hostile client too (its flash can be read): the report is small and
  // flat, so anything longer is dropped unparsed, on this broker I/O thread.
  if (m->payload.size() > max_fw_report) {
    ctx_->counters.fw_rejected++;
    ctx_->log->warn("lock {}: /fw report of {} bytes dropped (limit {})", broker::log_text(lockno), m->payload.size(),
                    max_fw_report);
    return;
  }
  rapidjson::Document doc;
  if (!parse_json(m->payload, doc) || !doc.IsObject()) {
    ctx_->counters.fw_rejected++;
    ctx_->log->warn("lock {}: /fw report is not a JSON object", broker::log_text(lockno));
    return;
  }
  storage::Fields fields;
  for (auto& member : doc.GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    if (name != "version" && name != "state" && name != "reason" && name != "progress" && name != "received" &&
        name != "size" && name != "previous")
      continue;
    if (member.value.IsString())
      fields.emplace_back(name, std::string(member.value.GetString(), member.value.GetStringLength()));
    else if (member.value.IsUint64()) fields.emplace_back(name, std::to_string(member.value.GetUint64()));
  }
  std::string version, state;
  for (auto& [k, v] : fields) {
    if (k == "version") version = v;
    if (k == "state") state = v;
  }
  if (version.empty() || state.empty() || !valid_version(version)) return;
  ctx_->counters.fw_reports++;
  fields.emplace_back("updated", std::to_string(common::unix_ms_now()));
  // A progress report replaces the previous one; fields a report lacks must not linger.
  ctx_->store.kv->hreplace(storage::Db::lock, "ota:" + lockno, std::move(fields), std::chrono::milliseconds(0),
                           [](storage::Status) {});
  if (state == "running") {
    ctx_->store.sql->set_device_firmware(lockno, version, [](storage::Result<bool>) {});
  }
  if (state == "failed" || state == "verified" || state == "rejected")
    ctx_->log->info("lock {}: firmware {} {}", broker::log_text(lockno), broker::log_text(version),
                    broker::log_text(state));
}

}  // namespace http::detail
