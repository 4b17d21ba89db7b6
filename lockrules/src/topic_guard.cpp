#include "lockrules/topic_guard.hpp"

#include <spdlog/spdlog.h>

#include "broker/log_text.hpp"
#include "lockrules/rule_topic.hpp"

namespace lockrules {

namespace {
using broker::PublishVerdict;

bool is_command(std::string_view leaf) { return leaf == "call" || leaf == "ota"; }
bool is_report(std::string_view leaf) { return leaf == "statu" || leaf == "fw"; }
bool is_request(std::string_view leaf) { return leaf == "m" || leaf == "f"; }
bool is_live_only(std::string_view leaf) { return leaf == "m" || leaf == "f" || leaf == "call"; }

}  // namespace

TopicGuard::TopicGuard(std::shared_ptr<Metrics> metrics, std::shared_ptr<const common::Clock> clock,
                       std::shared_ptr<spdlog::logger> log)
    : metrics_(std::move(metrics)), clock_(std::move(clock)), log_(std::move(log)) {}

PublishVerdict TopicGuard::check(const broker::ClientInfo& from, std::string_view topic, bool retain) const {
  if (topic == "/unauth") {
    if (!retain) return PublishVerdict::allow;
    refused(from, topic, metrics_->retain_refused, retain_log_, "retained rule topic routed live");
    return PublishVerdict::allow_unretained;
  }
  auto t = split_lock_topic(topic);
  if (!t) return PublishVerdict::allow;
  if (is_command(t->leaf) && !from.superuser) {
    refused(from, topic, metrics_->forged_commands, command_log_, "command from a non-superuser dropped");
    return PublishVerdict::deny;
  }
  if (is_report(t->leaf) && !from.superuser && from.username != t->level) {
    refused(from, topic, metrics_->forged_reports, report_log_, "report for another lock dropped");
    return PublishVerdict::deny;
  }
  if (is_request(t->leaf) && !from.username) {
    refused(from, topic, metrics_->forged_commands, command_log_, "owner request from an anonymous client dropped");
    return PublishVerdict::deny;
  }
  if (retain && is_live_only(t->leaf)) {
    refused(from, topic, metrics_->retain_refused, retain_log_, "retained rule topic routed live");
    return PublishVerdict::allow_unretained;
  }
  return PublishVerdict::allow;
}

void TopicGuard::refused(const broker::ClientInfo& from, std::string_view topic, Metrics::Counter& counter,
                         broker::LogThrottle& throttle, const char* what) const {
  counter.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t held_back = 0;
  if (!throttle.due(clock_->now(), held_back)) return;
  log_->warn("lockrules: {}: topic={} client={} addr={} ({} more like it not logged)", what, broker::log_text(topic),
             broker::log_text(from.client_id), from.address, held_back);
}

}  // namespace lockrules
