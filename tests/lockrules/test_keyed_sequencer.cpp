#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "lockrules/keyed_sequencer.hpp"

using lockrules::KeyedSequencer;

TEST_CASE("tasks of one key run one at a time in order; a waiting key does not block another") {
  KeyedSequencer seq(100);
  std::vector<KeyedSequencer::Done> parked;
  std::vector<std::string> log;
  auto task = [&](std::string name) {
    return [&, name](KeyedSequencer::Done done) {
      log.push_back(name);
      parked.push_back(std::move(done));
    };
  };
  seq.submit("a", task("a1"));
  seq.submit("a", task("a2"));
  seq.submit("b", task("b1"));
  CHECK(log == std::vector<std::string>{"a1", "b1"});
  CHECK(seq.keys() == 2);
  auto d = std::move(parked[0]);
  d();  // a1 finished: a2 starts on this thread
  CHECK(log == std::vector<std::string>{"a1", "b1", "a2"});
  parked[1]();
  parked[2]();
  CHECK(seq.keys() == 0);
}

TEST_CASE("tasks finishing inline run as a loop, not as recursion") {
  KeyedSequencer seq(1'000'000);
  std::vector<KeyedSequencer::Done> first;
  int ran = 0;
  seq.submit("k", [&](KeyedSequencer::Done done) { first.push_back(std::move(done)); });
  for (int i = 0; i < 200'000; ++i)
    seq.submit("k", [&](KeyedSequencer::Done done) {
      ++ran;
      done();
    });
  first[0]();  // would overflow the stack if each inline finish recursed
  CHECK(ran == 200'000);
  CHECK(seq.keys() == 0);
}

TEST_CASE("a full key refuses more") {
  KeyedSequencer seq(2);
  std::vector<KeyedSequencer::Done> parked;
  auto park = [&](KeyedSequencer::Done done) { parked.push_back(std::move(done)); };
  CHECK(seq.submit("k", park));  // running
  CHECK(seq.submit("k", park));  // waiting 1
  CHECK(seq.submit("k", park));  // waiting 2
  CHECK_FALSE(seq.submit("k", park));
  CHECK(seq.submit("other", park));
}

TEST_CASE("submitted from many threads, finished from others: per-key order holds") {
  KeyedSequencer seq(1'000'000);
  constexpr int keys = 8, per_thread = 2000, threads = 4;
  std::mutex m;
  std::vector<std::vector<int>> seen(keys);
  std::atomic<int> active[keys] = {};
  std::atomic<bool> overlap{false};

  // Two "store threads" that finish tasks handed to them, as store callbacks would.
  std::mutex qm;
  std::condition_variable qcv;
  std::deque<KeyedSequencer::Done> finish;
  bool stop = false;
  std::vector<std::thread> finishers;
  for (int i = 0; i < 2; ++i)
    finishers.emplace_back([&] {
      for (;;) {
        std::unique_lock lock(qm);
        qcv.wait(lock, [&] { return stop || !finish.empty(); });
        if (finish.empty()) return;
        auto done = std::move(finish.front());
        finish.pop_front();
        lock.unlock();
        done();
      }
    });

  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        int k = i % keys;
        seq.submit(std::to_string(k), [&, k, t, i](KeyedSequencer::Done done) {
          if (active[k].fetch_add(1) != 0) overlap = true;
          {
            std::lock_guard lock(m);
            seen[k].push_back(t * per_thread + i);
          }
          active[k].fetch_sub(1);
          if (i % 2) {
            std::lock_guard lock(qm);
            finish.push_back(std::move(done));
            qcv.notify_one();
          } else {
            done();
          }
        });
      }
    });
  for (auto& t : ts) t.join();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (seq.keys() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  {
    std::lock_guard lock(qm);
    stop = true;
    qcv.notify_all();
  }
  for (auto& f : finishers) f.join();
  CHECK(seq.keys() == 0);
  CHECK_FALSE(overlap.load());
  std::size_t total = 0;
  for (int k = 0; k < keys; ++k) {
    total += seen[k].size();
    // Each submitting thread's tasks for one key appear in the order that thread submitted them.
    std::vector<int> last(threads, -1);
    for (int v : seen[k]) {
      CHECK(v > last[v / per_thread]);
      last[v / per_thread] = v;
    }
  }
  CHECK(total == static_cast<std::size_t>(threads * per_thread));
}
