#include "broker/subscription_tree.hpp"

#include "broker/topic.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace broker {

// Children of a node by level name. Most nodes have one child or none (a lock's "/<lockno>/call"
// adds a node with one child and a leaf per lock), so children sit inline in a small vector,
// searched linearly: one allocation, where an unordered_map costs its own 56 bytes, a bucket array
// and a separately allocated entry per child (about 200 bytes per subscription more, measured).
// A level many filters fan out from (the lock numbers under "/") moves to a hash map once it
// passes `small_limit` children, so lookups and insertions stay O(1) at a million locks. Its keys
// are views of the entries' own names (an entry is heap-allocated and never moves), so a lookup
// on the publish path builds no string.
class SubscriptionTree::Children {
 public:
  struct Entry;
  const Node* find(std::string_view level) const;
  Node* find(std::string_view level) { return const_cast<Node*>(static_cast<const Children&>(*this).find(level)); }
  Node& get_or_add(std::string_view level);
  void erase(std::string_view level);
  bool empty() const;

 private:
  static constexpr std::size_t small_limit = 8;
  std::vector<Entry> small_;
  std::unique_ptr<std::unordered_map<std::string_view, std::unique_ptr<Entry>>> big_;
};

struct SubscriptionTree::Node {
  Children children;
  std::vector<Match> subscribers;
  bool empty() const { return children.empty() && subscribers.empty(); }
};

struct SubscriptionTree::Children::Entry {
  std::string level;
  Node node;
};

bool SubscriptionTree::Children::empty() const { return small_.empty() && (!big_ || big_->empty()); }

const SubscriptionTree::Node* SubscriptionTree::Children::find(std::string_view level) const {
  if (big_) {
    auto it = big_->find(level);
    return it == big_->end() ? nullptr : &it->second->node;
  }
  for (auto& e : small_)
    if (e.level == level) return &e.node;
  return nullptr;
}

SubscriptionTree::Node& SubscriptionTree::Children::get_or_add(std::string_view level) {
  if (auto* n = find(level)) return *n;
  if (!big_ && small_.size() < small_limit) {
    small_.push_back({std::string(level), Node{}});
    return small_.back().node;
  }
  auto add = [this](Entry&& e) -> Node& {
    auto entry = std::make_unique<Entry>(std::move(e));
    std::string_view key = entry->level;
    return big_->emplace(key, std::move(entry)).first->second->node;
  };
  if (!big_) {
    big_ = std::make_unique<std::unordered_map<std::string_view, std::unique_ptr<Entry>>>();
    for (auto& e : small_) add(std::move(e));
    std::vector<Entry>().swap(small_);
  }
  return add({std::string(level), Node{}});
}

void SubscriptionTree::Children::erase(std::string_view level) {
  if (big_) {
    big_->erase(level);  // the key and the entry it views go together
    return;
  }
  auto it = std::find_if(small_.begin(), small_.end(), [&](const Entry& e) { return e.level == level; });
  if (it == small_.end()) return;
  if (&*it != &small_.back()) *it = std::move(small_.back());
  small_.pop_back();
  if (small_.empty()) small_.shrink_to_fit();
}

SubscriptionTree::SubscriptionTree() : root_(std::make_unique<Node>()) {}
SubscriptionTree::~SubscriptionTree() = default;

bool SubscriptionTree::subscribe(std::string_view filter, const std::shared_ptr<Session>& session, std::uint8_t qos) {
  std::unique_lock lock(mutex_);
  Node* node = root_.get();
  std::size_t pos = 0;
  while (true) {
    std::size_t next;
    auto level = topic_level(filter, pos, next);
    node = &node->children.get_or_add(level);
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

bool SubscriptionTree::prune(Node& node, std::string_view filter, std::size_t pos, const Session* session,
                             bool& removed) {
  std::size_t next;
  auto level = topic_level(filter, pos, next);
  Node* found_child = node.children.find(level);
  if (!found_child) return false;
  Node& child = *found_child;
  if (next == std::string_view::npos) {
    auto& subs = child.subscribers;
    auto found = std::find_if(subs.begin(), subs.end(), [&](const Match& m) { return m.session.get() == session; });
    if (found != subs.end()) {
      *found = std::move(subs.back());
      subs.pop_back();
      removed = true;
    }
  } else {
    prune(child, filter, next, session, removed);
  }
  if (child.empty()) node.children.erase(level);
  return removed;
}

bool SubscriptionTree::unsubscribe(std::string_view filter, const Session* session) {
  std::unique_lock lock(mutex_);
  bool removed = false;
  prune(*root_, filter, 0, session, removed);
  if (removed) --count_;
  return removed;
}

void SubscriptionTree::collect(const Node& node, std::string_view topic, std::size_t pos, bool first_level,
                               std::vector<Match>& out) const {
  // '#' here matches this level and everything below, including "nothing below" (parent match).
  // Topics starting with '$' are not matched by a wildcard in the first level.
  bool dollar = first_level && !topic.empty() && topic[0] == '$';
  if (!dollar) {
    if (auto* hash = node.children.find("#")) out.insert(out.end(), hash->subscribers.begin(), hash->subscribers.end());
  }
  if (pos == std::string_view::npos) return;
  std::size_t next;
  auto level = topic_level(topic, pos, next);
  auto visit = [&](const Node& child) {
    if (next == std::string_view::npos) {
      out.insert(out.end(), child.subscribers.begin(), child.subscribers.end());
      // "a/#" also matches "a": look for a '#' child of the last level.
      if (auto* hash = child.children.find("#"))
        out.insert(out.end(), hash->subscribers.begin(), hash->subscribers.end());
    } else {
      collect(child, topic, next, false, out);
    }
  };
  if (auto* exact = node.children.find(level)) visit(*exact);
  if (!dollar) {
    if (auto* plus = node.children.find("+")) visit(*plus);
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
  out.erase(std::unique(out.begin(), out.end(), [](const Match& a, const Match& b) { return a.session == b.session; }),
            out.end());
}

std::size_t SubscriptionTree::footprint(std::string_view filter) {
  // A level's entry sits in its parent's vector, which may have doubled to hold it, plus a heap
  // name past the small-string buffer; the session keeps the filter in a vector of pairs too.
  constexpr std::size_t per_level = 2 * sizeof(Children::Entry) + 16;
  constexpr std::size_t fixed = sizeof(Match) + 2 * sizeof(std::pair<std::string, std::uint8_t>);
  return topic_levels(filter) * per_level + 2 * filter.size() + fixed;
}

std::size_t SubscriptionTree::subscription_count() const {
  std::shared_lock lock(mutex_);
  return count_;
}

}  // namespace broker
