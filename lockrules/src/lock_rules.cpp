#include "lockrules/lock_rules.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "lockrules/client_id_guard.hpp"
#include "lockrules/control_guard.hpp"
#include "lockrules/rule_topic.hpp"
#include "lockrules/topic_guard.hpp"
#include "rule_engine.hpp"

namespace lockrules {

LockRules::LockRules(Options options, Deps deps) : metrics_(std::make_shared<Metrics>()) {
  if (!deps.kv || !deps.history || !deps.control || !deps.credentials || !deps.log)
    throw std::invalid_argument("lockrules: kv, history, control, credentials and log are required");
  control_ = std::make_shared<ControlGuard>(*deps.control);
  RuleEngine::Parts parts;
  parts.kv = deps.kv;
  parts.history = std::move(deps.history);
  parts.credentials = std::move(deps.credentials);
  parts.control = control_;
  parts.clock = deps.clock ? std::move(deps.clock) : std::make_shared<common::SteadyClock>();
  parts.log = std::move(deps.log);
  parts.metrics = metrics_;
  guard_ = std::make_shared<TopicGuard>(metrics_, parts.clock, parts.log);
  engine_ = std::make_shared<RuleEngine>(options, std::move(parts));
}

LockRules::~LockRules() { close(); }

void LockRules::close() { control_->close(); }

std::shared_ptr<broker::Authenticator> LockRules::guard_client_ids(std::shared_ptr<broker::Authenticator> inner) {
  return std::make_shared<ClientIdGuard>(std::move(inner), metrics_);
}

void LockRules::on_publish(const broker::ClientInfo& from, const broker::MessagePtr& message) {
  auto rule = classify(message->topic);
  if (!rule) return;
  switch (rule->kind) {
    case RuleKind::unauth: engine_->unauth(from, message->payload); return;
    case RuleKind::owner_m: engine_->pair(std::string(rule->lockno), 'm'); return;
    case RuleKind::owner_f: engine_->pair(std::string(rule->lockno), 'f'); return;
    case RuleKind::status: engine_->status(std::string(rule->lockno), message->payload); return;
    case RuleKind::not_lockno: metrics_->ignored_topics.fetch_add(1, std::memory_order_relaxed); return;
  }
}

}  // namespace lockrules
