#include "broker/retained_store.hpp"

#include "broker/topic.hpp"

#include <mutex>

namespace broker {

struct RetainedStore::Node {
  std::unordered_map<std::string, std::unique_ptr<Node>> children;
  MessagePtr message;
};

namespace {
bool starts_with_dollar(std::string_view level) { return !level.empty() && level[0] == '$'; }
}  // namespace

RetainedStore::RetainedStore() : RetainedStore(Limits{}) {}
RetainedStore::RetainedStore(Limits limits) : limits_(limits), root_(std::make_unique<Node>()) {}
RetainedStore::~RetainedStore() = default;

RetainedStore::Update RetainedStore::update(const MessagePtr& message, const std::function<void(Update)>& changed) {
  std::unique_lock lock(mutex_);
  auto result = update_locked(message);
  if (changed) changed(result);
  return result;
}

RetainedStore::Update RetainedStore::clear_locked(const std::string& topic) {
  // Walk down remembering the path so emptied nodes can be pruned bottom-up.
  std::vector<std::pair<Node*, std::string>> path;
  Node* node = root_.get();
  std::size_t pos = 0;
  while (true) {
    std::size_t next;
    std::string level(topic_level(topic, pos, next));
    auto it = node->children.find(level);
    if (it == node->children.end()) return Update::cleared;
    path.emplace_back(node, level);
    node = it->second.get();
    if (next == std::string_view::npos) break;
    pos = next;
  }
  if (node->message) {
    node->message.reset();
    --count_;
  }
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    auto child = it->first->children.find(it->second);
    if (child->second->message || !child->second->children.empty()) break;
    it->first->children.erase(child);
  }
  return Update::cleared;
}

RetainedStore::Update RetainedStore::update_locked(const MessagePtr& message) {
  const auto& topic = message->topic;
  if (message->payload.empty()) return clear_locked(topic);
  // Every refusal is decided before a node is made: a refused topic must leave nothing behind
  // (a 64 KB topic of 32,768 levels used to leave 15 MB of nodes per refused publish).
  if (message->payload.size() > limits_.max_payload || !within_limits(topic, limits_.topics)) {
    ++rejected_;
    return Update::rejected_limit;
  }
  if (count_ >= limits_.max_messages) {
    const Node* node = root_.get();
    for (std::size_t pos = 0; node;) {
      std::size_t next;
      auto it = node->children.find(std::string(topic_level(topic, pos, next)));
      node = it == node->children.end() ? nullptr : it->second.get();
      if (next == std::string_view::npos) break;
      pos = next;
    }
    if (!node || !node->message) {  // full, and this would be one more
      ++rejected_;
      return Update::rejected_limit;
    }
  }
  Node* node = root_.get();
  std::size_t pos = 0;
  while (true) {
    std::size_t next;
    auto& child = node->children[std::string(topic_level(topic, pos, next))];
    if (!child) child = std::make_unique<Node>();
    node = child.get();
    if (next == std::string_view::npos) break;
    pos = next;
  }
  if (!node->message) ++count_;
  node->message = message;
  return Update::stored;
}

void RetainedStore::collect_all(const Node& node, bool first_level, std::vector<MessagePtr>& out) {
  for (auto& [level, child] : node.children) {
    if (first_level && starts_with_dollar(level)) continue;
    if (child->message) out.push_back(child->message);
    collect_all(*child, false, out);
  }
}

void RetainedStore::collect(const Node& node, std::string_view filter, std::size_t pos, bool first_level,
                            std::vector<MessagePtr>& out) const {
  std::size_t next;
  auto level = topic_level(filter, pos, next);
  if (level == "#") {
    // "a/#" matches "a" itself as well as everything below it.
    if (!first_level && node.message) out.push_back(node.message);
    collect_all(node, first_level, out);
    return;
  }
  auto visit = [&](const Node& child) {
    if (next == std::string_view::npos) {
      if (child.message) out.push_back(child.message);
    } else {
      collect(child, filter, next, false, out);
    }
  };
  if (level == "+") {
    for (auto& [name, child] : node.children) {
      if (first_level && starts_with_dollar(name)) continue;
      visit(*child);
    }
  } else {
    auto it = node.children.find(std::string(level));
    if (it != node.children.end()) visit(*it->second);
  }
}

void RetainedStore::match(std::string_view filter, std::vector<MessagePtr>& out) const {
  std::shared_lock lock(mutex_);
  collect(*root_, filter, 0, true, out);
}

void RetainedStore::for_each(const std::function<void(const MessagePtr&)>& fn) const {
  std::vector<MessagePtr> all;
  {
    std::shared_lock lock(mutex_);
    collect_all(*root_, false, all);
  }
  for (auto& m : all) fn(m);
}

std::size_t RetainedStore::size() const {
  std::shared_lock lock(mutex_);
  return count_;
}

std::size_t RetainedStore::rejected() const {
  std::shared_lock lock(mutex_);
  return rejected_;
}

}  // namespace broker
