#pragma once
// Subscriptions by topic level. Design note: a trie keyed on whole levels, with '+' and '#' as
// ordinary children looked up by name, so matching a topic of L levels visits at most 2^(wildcard
// branches) paths and never scans subscriptions it cannot match. Publishes take a shared lock
// (many threads match at once); SUBSCRIBE/UNSUBSCRIBE take it exclusively. Empty nodes are
// pruned on removal so the tree never grows with topics nobody subscribes to any more.
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace broker {

class Session;

struct Match {
  std::shared_ptr<Session> session;
  std::uint8_t qos;
};

class SubscriptionTree {
 public:
  SubscriptionTree();
  ~SubscriptionTree();

  // Adds or replaces `session`'s subscription to `filter`. Returns true if it is new.
  bool subscribe(std::string_view filter, const std::shared_ptr<Session>& session, std::uint8_t qos);
  // Returns true if the subscription existed.
  bool unsubscribe(std::string_view filter, const Session* session);

  // Every session subscribed to a filter matching `topic`, each once at the highest QoS of its
  // matching subscriptions. `out` is cleared first.
  void match(std::string_view topic, std::vector<Match>& out) const;

  std::size_t subscription_count() const;

  // At most the bytes one subscription to `filter` makes the broker hold: a tree node per level
  // (when no other filter shares them), its level names, its entry, and the session's own copy of
  // the filter. The per-client budget (limits.max_subscription_bytes) adds these up.
  static std::size_t footprint(std::string_view filter);

 private:
  struct Node;
  class Children;
  void collect(const Node& node, std::string_view topic, std::size_t pos, bool first_level,
               std::vector<Match>& out) const;
  static bool prune(Node& node, std::string_view filter, std::size_t pos, const Session* session, bool& removed);

  mutable std::shared_mutex mutex_;
  std::unique_ptr<Node> root_;
  std::size_t count_ = 0;
};

}  // namespace broker
