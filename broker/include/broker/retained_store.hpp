#pragma once
// Retained messages by topic. Design note: a trie on topic levels, so a SUBSCRIBE filter walks
// only the branches it can match ('+' fans out over one level, '#' takes a whole subtree) instead
// of testing every retained topic. Thread-safe: lookups share a lock, updates take it alone.
#include <cstddef>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/message.hpp"
#include "broker/topic.hpp"

namespace broker {

class RetainedStore {
 public:
  struct Limits {
    std::size_t max_messages = 1'000'000;
    std::size_t max_payload = 1024 * 1024;
    // Checked here as well as where PUBLISH arrives: restored state and hooks' publishes come
    // in without passing a connection.
    TopicLimits topics;
  };
  RetainedStore();
  explicit RetainedStore(Limits limits);
  ~RetainedStore();

  enum class Update { stored, cleared, rejected_limit };
  // An empty payload clears the topic's retained message. `changed` runs under the store's lock
  // with the outcome, so what it records about one topic is in the order of the updates.
  Update update(const MessagePtr& message, const std::function<void(Update)>& changed = {});

  void match(std::string_view filter, std::vector<MessagePtr>& out) const;
  // Every retained message (persistence snapshots).
  void for_each(const std::function<void(const MessagePtr&)>& fn) const;

  std::size_t size() const;
  std::size_t rejected() const;

 private:
  struct Node;
  Update update_locked(const MessagePtr& message);
  Update clear_locked(const std::string& topic);
  void collect(const Node& node, std::string_view filter, std::size_t pos, bool first_level,
               std::vector<MessagePtr>& out) const;
  static void collect_all(const Node& node, bool first_level, std::vector<MessagePtr>& out);

  Limits limits_;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<Node> root_;
  std::size_t count_ = 0;
  std::size_t rejected_ = 0;
};

}  // namespace broker
