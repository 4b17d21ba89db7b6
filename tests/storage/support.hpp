#pragma once
// Shared by the storage tests: a running io_context, temporary data dirs, the backends that the
// environment provides (embedded always; Redis and MariaDB from scripts/services.sh variables),
// and `wait` to turn a callback into a value with a deadline instead of a sleep.
#include <doctest/doctest.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "services.hpp"
#include "storage/open.hpp"

namespace storage_test {

using namespace std::chrono_literals;

inline std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::stderr_color_mt("storage-test");
    l->set_level(std::getenv("SAKURA_TEST_VERBOSE") ? spdlog::level::debug : spdlog::level::warn);
    return l;
  }();
  return log;
}

inline std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += digits[rng() % 16];
  return s;
}

inline const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// Starts an async call and waits for its callback, failing the test after `timeout`.
template <class R, class Start>
R wait(Start start, std::chrono::milliseconds timeout = 10s) {
  auto promise = std::make_shared<std::promise<R>>();
  auto future = promise->get_future();
  start([promise](R r) { promise->set_value(std::move(r)); });
  if (future.wait_for(timeout) != std::future_status::ready) {
    FAIL("no callback within " << timeout.count() << " ms");
  }
  return future.get();
}

// Polls `probe` until it holds or the deadline passes; for conditions with no event to await.
template <class Probe>
bool eventually(Probe probe, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!probe()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// RLIMIT_FSIZE for this process while alive: a write that crosses it is cut short (then EFBIG),
// as on a disk that fills up in the middle of a record. SIGXFSZ is ignored meanwhile.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(std::uintmax_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim = saved_;
    lim.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lim) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = SIG_DFL;
};

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("sakura-storage-" + random_hex(12))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// An io_context on its own thread, as the broker would run it.
class IoThread {
 public:
  IoThread() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    guard_.reset();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

inline std::optional<storage::RedisConfig> redis_from_env() {
  const char* server = env("SAKURA_TEST_REDIS");
  if (!server) return std::nullopt;
  storage::RedisConfig r;
  r.server = server;
  return r;
}

// A fresh database per call (the test user may create sakura_test_*), so tests never share rows.
inline std::optional<storage::SqlConfig> mariadb_from_env() {
  const char* host = env("SAKURA_TEST_MARIADB_HOST");
  if (!host) return std::nullopt;
  storage::SqlConfig s;
  s.backend = storage::SqlBackend::mariadb;
  s.host = host;
  s.port =
      static_cast<std::uint16_t>(std::atoi(env("SAKURA_TEST_MARIADB_PORT") ? env("SAKURA_TEST_MARIADB_PORT") : "3306"));
  s.user = env("SAKURA_TEST_MARIADB_USER") ? env("SAKURA_TEST_MARIADB_USER") : "lockadmin";
  s.password = env("SAKURA_TEST_MARIADB_PASSWORD") ? env("SAKURA_TEST_MARIADB_PASSWORD") : "";
  s.database = "sakura_test_" + random_hex(10);
  return s;
}

// One opened backend combination plus what it needs to live.
struct Opened {
  std::string name;
  std::unique_ptr<TempDir> dir = std::make_unique<TempDir>();
  std::unique_ptr<IoThread> io = std::make_unique<IoThread>();
  storage::Storage s;

  ~Opened() {
    s = {};  // backends first: the Redis one needs the io thread to close
    io.reset();
  }
};

inline std::unique_ptr<Opened> open_backend(const std::string& name, storage::Config cfg) {
  auto o = std::make_unique<Opened>();
  o->name = name;
  cfg.data_dir = o->dir->str();
  auto r = storage::open(cfg, o->io->io(), logger());
  REQUIRE_MESSAGE(r.ok, name << ": " << r.message);
  o->s = std::move(r.value);
  return o;
}

// The key-value backends this environment offers; Redis ones wait until connected.
std::vector<std::unique_ptr<Opened>> kv_backends();
// The SQL backends this environment offers.
std::vector<std::unique_ptr<Opened>> sql_backends();

}  // namespace storage_test
