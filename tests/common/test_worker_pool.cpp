// The worker pool: its bound, what happens to queued tasks on destruction under each AtStop, the
// per-thread context, and destruction from inside one of its own tasks.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "common/worker_pool.hpp"

using common::AtStop;
using common::PoolOptions;
using common::WorkerPool;

namespace {
// Holds the pool's only thread in a task until release().
struct Blocker {
  std::promise<void> started, go;
  std::shared_future<void> go_future = go.get_future().share();
  std::function<void()> task() {
    return [this, go = go_future] {
      started.set_value();
      go.wait();
    };
  }
  void release() { go.set_value(); }
};
}  // namespace

TEST_CASE("a full queue refuses at once; a running task does not count") {
  Blocker b;
  WorkerPool<> pool(PoolOptions{1, 2, AtStop::drop_queued});
  REQUIRE(pool.post(b.task()));
  b.started.get_future().wait();  // running, so the queue is empty
  std::atomic<int> ran{0};
  CHECK(pool.post([&] { ++ran; }));
  CHECK(pool.post([&] { ++ran; }));
  CHECK_FALSE(pool.post([&] { ++ran; }));  // the third waiting task
  b.release();
  std::promise<void> done;
  while (!pool.post([&] { done.set_value(); })) std::this_thread::yield();  // room again
  done.get_future().wait();
  CHECK(ran == 2);
}

TEST_CASE("drop_queued: tasks still waiting at destruction are destroyed unrun, posts refused") {
  Blocker b;
  auto witness = std::make_shared<int>(0);
  std::atomic<int> ran{0};
  auto pool = std::make_unique<WorkerPool<>>(PoolOptions{1, 0, AtStop::drop_queued});
  REQUIRE(pool->post(b.task()));
  b.started.get_future().wait();
  for (int i = 0; i < 5; ++i) REQUIRE(pool->post([&ran, witness] { ++ran; }));
  CHECK(witness.use_count() == 6);
  // The thread is released only once the destructor has stopped the pool (posts refused), which
  // it does under the same lock that takes the five out of the queue: they cannot run after.
  auto* raw = pool.get();
  std::thread releaser([&] {
    while (raw->post([] {})) std::this_thread::yield();
    b.release();
  });
  pool.reset();
  releaser.join();
  CHECK(ran == 0);
  CHECK(witness.use_count() == 1);
}

TEST_CASE("run_queued: tasks waiting at destruction run before the threads join") {
  Blocker b;
  std::atomic<int> ran{0};
  {
    WorkerPool<> pool(PoolOptions{2, 0, AtStop::run_queued});
    REQUIRE(pool.post(b.task()));
    b.started.get_future().wait();
    for (int i = 0; i < 100; ++i) REQUIRE(pool.post([&ran] { ++ran; }));
    b.release();
  }
  CHECK(ran == 100);
}

TEST_CASE("each thread makes its own context on that thread and keeps it") {
  struct Session {
    std::thread::id owner = std::this_thread::get_id();
    int used = 0;
  };
  std::atomic<int> made{0}, wrong_thread{0}, ran{0};
  {
    WorkerPool<Session> pool(PoolOptions{3, 0, AtStop::run_queued}, [&] {
      ++made;
      return std::make_unique<Session>();
    });
    for (int i = 0; i < 300; ++i)
      REQUIRE(pool.post([&](Session& s) {
        if (s.owner != std::this_thread::get_id()) ++wrong_thread;
        ++s.used;
        ++ran;
      }));
  }
  CHECK(made == 3);
  CHECK(wrong_thread == 0);
  CHECK(ran == 300);
}

TEST_CASE("0 threads is one thread: a pool always answers") {
  std::promise<void> done;
  WorkerPool<> pool(PoolOptions{0, 0, AtStop::drop_queued});
  REQUIRE(pool.post([&] { done.set_value(); }));
  CHECK(done.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}

TEST_CASE("the last owner let go inside a task: no self-join, the tasks behind it dropped") {
  for (auto at_stop : {AtStop::drop_queued, AtStop::run_queued}) {
    auto pool = std::make_shared<WorkerPool<>>(PoolOptions{1, 0, at_stop});
    std::promise<void> gone;
    auto later_ran = std::make_shared<std::atomic<bool>>(false);
    std::weak_ptr<WorkerPool<>> weak = pool;
    Blocker b;
    REQUIRE(pool->post(b.task()));
    b.started.get_future().wait();
    // The pool's only owner moves into a task; the task behind it must not run on a dead pool.
    REQUIRE(pool->post([p = std::move(pool), &gone]() mutable {
      p.reset();  // destroys the pool on its own thread
      gone.set_value();
    }));
    REQUIRE(weak.lock()->post([later_ran] { *later_ran = true; }));
    b.release();
    CHECK(gone.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    CHECK(weak.expired());
    CHECK_FALSE(*later_ran);
  }
}
