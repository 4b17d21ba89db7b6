#pragma once
// A Persistence in memory for broker tests: records are kept in order and applied to a
// PersistedState, and barriers wait until the test runs them, so holding acknowledgements back
// until the store is durable can be observed step by step.
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "broker/persisted_state.hpp"
#include "broker/persistence.hpp"

namespace test {

class MemoryPersistence final : public broker::Persistence {
 public:
  broker::PersistedState state;
  std::vector<broker::persist::Record> records;
  std::deque<std::function<void()>> barriers;
  bool closed = false;
  bool fail = false;  // what failing() answers: a store that cannot write

  broker::PersistedState load() override {
    broker::PersistedState copy;
    state.for_each_record([&](const broker::persist::Record& r) { copy.apply(r); });
    copy.drop_unreferenced();
    return copy;
  }
  void append(broker::persist::Record record) override {
    state.apply(record);
    records.push_back(std::move(record));
  }
  void barrier(std::function<void()> done) override { barriers.push_back(std::move(done)); }
  std::uint64_t stored_bytes() const override { return state.stored_bytes(); }
  bool failing() const override { return fail; }
  void close() override { closed = true; }

  // Completes every barrier asked for so far.
  void complete_barriers() {
    auto pending = std::move(barriers);
    barriers.clear();
    for (auto& b : pending) b();
  }
  // The kinds of the records appended since the last call, e.g. "Enqueued".
  std::vector<std::string> take_kinds() {
    static const char* names[] = {"SessionCreated", "SessionEnded",     "SessionAttached", "SessionDetached",
                                  "Subscribed",     "Unsubscribed",     "MessageStored",   "Enqueued",
                                  "Sent",           "Released",         "Completed",       "Dropped",
                                  "IncomingQos2",   "IncomingQos2Done", "RetainSet",       "RetainCleared",
                                  "SessionOwned"};
    static_assert(std::size(names) == std::variant_size_v<broker::persist::Record>);
    std::vector<std::string> out;
    for (; taken_ < records.size(); ++taken_) out.push_back(names[records[taken_].index()]);
    return out;
  }

 private:
  std::size_t taken_ = 0;
};

}  // namespace test
