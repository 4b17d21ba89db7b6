// Placement of new connections on workers (node.placement), with real threads and their CPU clocks.
#include <doctest/doctest.h>
#include <time.h>

#include <chrono>
#include <future>

#include <boost/asio/post.hpp>

#include "broker/io_pool.hpp"

using broker::IoPool;
using broker::Placement;
using broker::PlacementOptions;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Keeps worker `w` on the CPU until its thread has used `seconds` of it, and returns once it has.
void burn(IoPool& pool, unsigned w, double seconds) {
  std::promise<void> done;
  boost::asio::post(pool.context(w), [&] {
    auto start = thread_cpu_seconds();
    while (thread_cpu_seconds() - start < seconds) {
    }
    done.set_value();
  });
  done.get_future().wait();
}

// Thresholds are low so that a loaded machine, which stretches the wall time a burn takes, still
// sees the burning worker over them.
PlacementOptions pack(double below, std::chrono::milliseconds every = std::chrono::milliseconds(1)) {
  PlacementOptions o;
  o.placement = Placement::pack;
  o.pack_below = below;
  o.sample_every = every;
  return o;
}

}  // namespace

TEST_CASE("spread places connections round robin") {
  PlacementOptions o;
  o.placement = Placement::spread;
  IoPool pool(3, o);
  pool.start();
  CHECK(pool.next() == 0);
  CHECK(pool.next() == 1);
  CHECK(pool.next() == 2);
  CHECK(pool.next() == 0);
  pool.stop();  // returns once the loops have run out of work, pollers included
}

TEST_CASE("pack keeps idle-time connections on the first worker") {
  IoPool pool(2, pack(0.5));
  CHECK(pool.next() == 0);  // before start: no clocks yet
  pool.start();
  for (int i = 0; i < 100; ++i) REQUIRE(pool.next() == 0);
  pool.stop();
}

TEST_CASE("pack moves on to the next worker once the first is busy, then to the least busy") {
  // 1% of a core: a machine loaded twenty times over its cores still shows a burning worker above
  // it (at 10%, a load of 13 on the 2-core CI machine stretched the window and failed the test).
  IoPool pool(2, pack(0.01));
  pool.start();
  // Worker 0 spends the sample window on the CPU.
  pool.sample_load();
  burn(pool, 0, 0.15);
  CHECK(pool.next() == 1);
  CHECK(pool.busy(0) > 0.01);
  CHECK(pool.busy(1) < 0.01);
  // Both over the threshold in one window: worker 1 burns twice as long, so worker 0 is chosen.
  pool.sample_load();
  auto f0 = std::async(std::launch::async, [&] { burn(pool, 0, 0.10); });
  auto f1 = std::async(std::launch::async, [&] { burn(pool, 1, 0.20); });
  f0.wait();
  f1.wait();
  CHECK(pool.next() == 0);
  CHECK(pool.busy(0) > 0.01);
  CHECK(pool.busy(1) > pool.busy(0));
  pool.stop();
}

TEST_CASE("a burst of accepts reuses one sample") {
  IoPool pool(2, pack(0.1, std::chrono::hours(1)));
  pool.start();
  burn(pool, 0, 0.05);
  // The window is an hour: the baseline taken at start() is the only sample, so worker 0 still
  // counts as idle however busy it was since.
  CHECK(pool.next() == 0);
  CHECK(pool.busy(0) == 0.0);
  pool.stop();
}
