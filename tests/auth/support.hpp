#pragma once
// What the auth/ tests share: a real store on a running io_context (embedded in a fresh
// directory always, Redis when SAKURA_TEST_REDIS is set), and a wait for one callback.
#include <doctest/doctest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "services.hpp"
#include "storage/open.hpp"

namespace auth_test {

using namespace std::chrono_literals;

inline std::shared_ptr<spdlog::logger> quiet() {
  static auto log = std::make_shared<spdlog::logger>("auth-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  return log;
}

inline std::string unique(const char* prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  return prefix + std::to_string(rng());
}

template <class R, class Start>
R wait(Start start, std::chrono::milliseconds timeout = 10s) {
  auto promise = std::make_shared<std::promise<R>>();
  auto future = promise->get_future();
  start([promise](R r) { promise->set_value(std::move(r)); });
  REQUIRE_MESSAGE(future.wait_for(timeout) == std::future_status::ready, "no callback in time");
  return future.get();
}

// A store on a running io_context: embedded in a fresh directory, or Redis at `redis`.
struct Store {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread;
  std::filesystem::path dir;
  std::shared_ptr<storage::KeyValue> kv;

  explicit Store(const char* redis) {
    dir = std::filesystem::temp_directory_path() / unique("sakura-auth-");
    storage::Config c;
    c.data_dir = dir.string();
    if (redis) {
      c.kv_backend = storage::KvBackend::redis;
      c.redis.server = redis;
      c.redis.command_timeout = 500ms;
      c.redis.connect_timeout = 500ms;
    }
    thread = std::thread([this] { io.run(); });
    auto s = storage::open(c, io, quiet());
    REQUIRE_MESSAGE(s.ok, s.message);
    kv = s.value.kv;
  }
  ~Store() {
    // A callback finishing on the store's thread may still hold an authenticator (and through it
    // the store) for a moment; the store must not be released from its own thread.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (kv.use_count() > 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    kv.reset();
    guard.reset();
    io.stop();
    thread.join();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void put(const std::string& key, storage::Fields f, std::chrono::milliseconds ttl = 0ms) {
    auto st = wait<storage::Status>([&](auto cb) { kv->hreplace(storage::Db::auth, key, f, ttl, cb); });
    REQUIRE(st.ok);
  }
  bool exists(const std::string& key) {
    auto r = wait<storage::Result<bool>>([&](auto cb) { kv->exists(storage::Db::auth, key, cb); });
    REQUIRE(r.ok);
    return r.value;
  }
};

inline std::vector<const char*> backends() {
  std::vector<const char*> out{nullptr};
  if (const char* r = std::getenv("SAKURA_TEST_REDIS"); r && *r) out.push_back(r);
  else SAKURA_SERVICE_MISSING("SAKURA_TEST_REDIS not set: the Redis backend");
  return out;
}

}  // namespace auth_test
