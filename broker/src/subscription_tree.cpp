#include "broker/subscription_tree.hpp"

#include "broker/topic.hpp"

#include <algorithm>
#include <mutex>

namespace broker {

struct SubscriptionTree::Node {
  std::unordered_map<std::string, std::unique_ptr<Node>> children;
  std::vector<Match> subscribers;
  bool empty() const { return children.empty() && subscribers.empty(); }
};

SubscriptionTree::SubscriptionTree() : root_(std::make_unique<Node>()) {}
SubscriptionTree::~SubscriptionTree() = default;

bool SubscriptionTree::subscribe(std::string_view filter, const std::shared_ptr<Session>& session,
                                 std::uint8_t qos) {
  std::unique_lock lock(mutex_);
  Node* node = root_.get();
  std::size_t pos = 0;
  while (true) {
    std::size_t next;
    auto level = topic_level(filter, pos, next);
    auto& child = node->children[std::string(level)];
    if (!child) child = std::make_unique<Node>();
    node = child.get();
    if (next == std::string_view::npos) break;
    pos = next;
  }
  for (auto& m : node->subscribers) {
    if (m.session == session) {
      m.qos = qos;
      return false;
    }
  }
  node->subscribers.push_back({session, qos});
  ++count_;
  return true;
}

bool SubscriptionTree::prune(Node& node, std::string_view filter, std::size_t pos,
                             const Session* session, bool& removed) {
  std::size_t next;
  auto level = topic_level(filter, pos, next);
  auto it = node.children.find(std::string(level));
  if (it == node.children.end()) return false;
  Node& child = *it->second;
  if (next == std::string_view::npos) {
    auto& subs = child.subscribers;
    auto found = std::find_if(subs.begin(), subs.end(),
                              [&](const Match& m) { return m.session.get() == session; });
    if (found != subs.end()) {
      *found = std::move(subs.back());
      subs.pop_back();
      removed = true;
    }
  } else {
    prune(child, filter, next, session, removed);
  }
  if (child.empty()) node.children.erase(it);
  return removed;
}

bool SubscriptionTree::unsubscribe(std::string_view filter, const Session* session) {
  std::unique_lock lock(mutex_);
  bool removed = false;
  prune(*root_, filter, 0, session, removed);
  if (removed) --count_;
  return removed;
}

void SubscriptionTree::collect(const Node& node, std::string_view topic, std::size_t pos,
                               bool first_level, std::vector<Match>& out) const {
  // '#' here matches this level and everything below, including "nothing below" (parent match).
  // Topics starting with '$' are not matched by a wildcard in the first level.
  bool dollar = first_level && !topic.empty() && topic[0] == '$';
  if (!dollar) {
    auto hash = node.children.find("#");
    if (hash != node.children.end())
      out.insert(out.end(), hash->second->subscribers.begin(), hash->second->subscribers.end());
  }
  if (pos == std::string_view::npos) return;
  std::size_t next;
  auto level = topic_level(topic, pos, next);
  auto visit = [&](const Node& child) {
    if (next == std::string_view::npos) {
      out.insert(out.end(), child.subscribers.begin(), child.subscribers.end());
      // "a/#" also matches "a": look for a '#' child of the last level.
      auto hash = child.children.find("#");
      if (hash != child.children.end())
        out.insert(out.end(), hash->second->subscribers.begin(), hash->second->subscribers.end());
    } else {
      collect(child, topic, next, false, out);
    }
  };
  auto exact = node.children.find(std::string(level));
  if (exact != node.children.end()) visit(*exact->second);
  if (!dollar) {
    auto plus = node.children.find("+");
    if (plus != node.children.end()) visit(*plus->second);
  }
}

void SubscriptionTree::match(std::string_view topic, std::vector<Match>& out) const {
  out.clear();
  {
    std::shared_lock lock(mutex_);
    collect(*root_, topic, 0, true, out);
  }
  if (out.size() < 2) return;
  // One delivery per session, at the highest QoS among its matching subscriptions.
  std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
    return a.session != b.session ? a.session < b.session : a.qos > b.qos;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Match& a, const Match& b) { return a.session == b.session; }),
            out.end());
}

std::size_t SubscriptionTree::subscription_count() const {
  std::shared_lock lock(mutex_);
  return count_;
}

}  // namespace broker
