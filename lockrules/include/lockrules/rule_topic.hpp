#pragma once
// Which rule, if any, a published topic falls under (INTERFACES.md, Topics). A pure function so
// the hot path pays one length check for the ordinary traffic that no rule concerns.
#include <optional>
#include <string_view>

#include "storage/lockno.hpp"

namespace lockrules {

using storage::is_lockno;
using storage::lockno_length;

// What the owners see on /<lockno>/result when both asked but the lock was not connected, so no
// `unlock` was sent (docs/lockrules.md).
constexpr const char* unlock_failed_payload = "unlock_failed";

enum class RuleKind {
  unauth,      // "/unauth"
  owner_m,     // "/<lockno>/m"
  owner_f,     // "/<lockno>/f"
  status,      // "/<lockno>/statu"
  not_lockno,  // "/<x>/m|f|statu" where x is not a lockno: no rule, but worth counting
};

struct RuleTopic {
  RuleKind kind;
  std::string_view lockno;  // into the topic passed in; empty for unauth
};

// nullopt for every topic no rule is about.
std::optional<RuleTopic> classify(std::string_view topic);

// "/<level>/<leaf>": the shape of every per-lock topic, whatever the level's length (the publish
// guard refuses a forged command to any level, a lock or not). Views into the topic passed in.
struct LockTopic {
  std::string_view level;  // the lockno when it is one; never empty
  std::string_view leaf;   // "m", "call", "statu", ...; never empty, no '/'
};
std::optional<LockTopic> split_lock_topic(std::string_view topic);

// Status payloads a lock sends; anything else is nullopt.
enum class LockStatus { offline = -2, open = 0, locked = 1 };
std::optional<LockStatus> parse_status(std::string_view payload);
const char* status_text(LockStatus s);  // "-2", "0", "1", as stored in `monitor`

}  // namespace lockrules
