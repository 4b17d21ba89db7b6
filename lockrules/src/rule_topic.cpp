#include "lockrules/rule_topic.hpp"

namespace lockrules {

// A topic level is a lockno by length alone: the MQTT wildcards cannot be part of a published
// topic (the codec refuses them), so no further check is needed here.

std::optional<LockTopic> split_lock_topic(std::string_view topic) {
  // Shortest is "/x/m"; every per-lock topic starts with '/'.
  if (topic.size() < 4 || topic[0] != '/') return std::nullopt;
  auto slash = topic.find('/', 1);
  if (slash == std::string_view::npos || slash == 1 || slash + 1 == topic.size()) return std::nullopt;
  auto leaf = topic.substr(slash + 1);
  if (leaf.find('/') != std::string_view::npos) return std::nullopt;
  return LockTopic{topic.substr(1, slash - 1), leaf};
}

std::optional<RuleTopic> classify(std::string_view topic) {
  if (topic == "/unauth") return RuleTopic{RuleKind::unauth, {}};
  auto split = split_lock_topic(topic);
  if (!split) return std::nullopt;
  auto level = split->level;
  auto rest = split->leaf;
  RuleKind kind;
  if (rest == "m") kind = RuleKind::owner_m;
  else if (rest == "f") kind = RuleKind::owner_f;
  else if (rest == "statu") kind = RuleKind::status;
  else return std::nullopt;
  if (!is_lockno(level)) return RuleTopic{RuleKind::not_lockno, level};
  return RuleTopic{kind, level};
}

std::optional<LockStatus> parse_status(std::string_view payload) {
  if (payload == "1") return LockStatus::locked;
  if (payload == "0") return LockStatus::open;
  if (payload == "-2") return LockStatus::offline;
  return std::nullopt;
}

const char* status_text(LockStatus s) {
  switch (s) {
    case LockStatus::offline: return "-2";
    case LockStatus::open: return "0";
    case LockStatus::locked: return "1";
  }
  return "";
}

}  // namespace lockrules
