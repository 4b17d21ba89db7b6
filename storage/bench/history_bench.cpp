// sakura-history-bench: the lock-history write rate of a storage backend, through the same
// HistoryWriter the broker uses (spool append, fsync policy, batched drain to the database).
//   sakura-history-bench [--backend sqlite|mariadb] [--events N] [--sync always|everysec|none]
//                        [--dir DIR] [--host H --port P --user U --password W --database D]
//                        [--kv embedded|redis [--redis HOST:PORT]]
// With --kv it also measures the key-value calls on the login and unlock paths: credential
// lookups (HMGET) and unlock pairings, all issued at once and timed until the last answer.
// MariaDB settings default to the SAKURA_TEST_MARIADB_* variables that scripts/services.sh sets.
// Prints one line: backend, sync, events, spool acceptance rate, end-to-end write rate.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <string>
#include <thread>

#include "bench_options.hpp"
#include "storage/open.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

double per_second(long n, Clock::duration d) { return n / std::chrono::duration<double>(d).count(); }

// Issues n calls through `call(i, done)` at once and answers the rate of completed ones.
template <class Call>
double timed(long n, Call call) {
  std::atomic<long> left{n};
  std::promise<void> finished;
  auto start = Clock::now();
  for (long i = 0; i < n; ++i)
    call(i, [&] {
      if (--left == 0) finished.set_value();
    });
  finished.get_future().wait();
  return per_second(n, Clock::now() - start);
}

void bench_kv(storage::KeyValue& kv, long n, const std::string& name) {
  using namespace std::chrono_literals;
  std::promise<storage::Status> ready;
  kv.hset(storage::Db::auth, "mqtt_user:bench", {{"password", "p"}, {"is_superuser", "0"}},
          [&](storage::Status st) { ready.set_value(st); });
  if (!ready.get_future().get().ok) {
    std::fprintf(stderr, "kv %s: not reachable\n", name.c_str());
    return;
  }
  double lookups = timed(n, [&](long, auto done) {
    kv.hmget(storage::Db::auth, "mqtt_user:bench", {"password", "salt", "is_superuser"},
             [done](auto) { done(); });
  });
  double pairs = timed(n, [&](long i, auto done) {
    kv.pair_unlock("BENCH" + std::to_string(i / 2), i % 2 ? 'f' : 'm', 35s, [done](auto) { done(); });
  });
  std::printf("kv=%s calls=%ld hmget=%.0f/s pair_unlock=%.0f/s\n", name.c_str(), n, lookups, pairs);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt = {{"backend", "sqlite"},
                                            {"events", "20000"},
                                            {"sync", "everysec"},
                                            {"dir", ""},
                                            {"host", env_or("SAKURA_TEST_MARIADB_HOST", "127.0.0.1")},
                                            {"port", env_or("SAKURA_TEST_MARIADB_PORT", "3306")},
                                            {"user", env_or("SAKURA_TEST_MARIADB_USER", "lockadmin")},
                                            {"password", env_or("SAKURA_TEST_MARIADB_PASSWORD", "")},
                                            {"database", "sakura_test_bench"},
                                            {"kv", ""},
                                            {"redis", env_or("SAKURA_TEST_REDIS", "127.0.0.1:6379")}};
  if (!storage_bench::parse_options(argc, argv, opt)) return 2;

  storage::Config cfg;
  cfg.sync = opt["sync"] == "always" ? storage::SyncPolicy::always
             : opt["sync"] == "none" ? storage::SyncPolicy::none
                                     : storage::SyncPolicy::everysec;
  if (opt["backend"] == "mariadb") {
    cfg.sql.backend = storage::SqlBackend::mariadb;
    cfg.sql.host = opt["host"];
    cfg.sql.port = static_cast<std::uint16_t>(std::stoi(opt["port"]));
    cfg.sql.user = opt["user"];
    cfg.sql.password = opt["password"];
    cfg.sql.database = opt["database"];
  }
  const long events = std::stol(opt["events"]);
  const bool temp_dir = opt["dir"].empty();
  cfg.data_dir =
      temp_dir
          ? (std::filesystem::temp_directory_path() / ("sakura-history-bench-" + std::to_string(::getpid())))
                .string()
          : opt["dir"];
  cfg.history_spool_limit = static_cast<std::size_t>(events) + 1;

  if (!opt["kv"].empty()) {
    cfg.kv_backend = opt["kv"] == "redis" ? storage::KvBackend::redis : storage::KvBackend::embedded;
    cfg.redis.server = opt["redis"];
  }

  auto log = spdlog::stderr_color_mt("bench");
  log->set_level(spdlog::level::warn);
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  int status = 0;
  {
    auto opened = storage::open(cfg, io, log);
    if (!opened.ok) {
      std::fprintf(stderr, "open: %s\n", opened.message.c_str());
      status = 1;
    } else {
      auto& history = *opened.value.history;
      std::atomic<long> acked{0};
      std::promise<void> all_acked;
      auto start = Clock::now();
      for (long i = 0; i < events; ++i) {
        // 1000 locks, as a fleet reporting status changes would.
        storage::HistoryEvent e{"BENCH" + std::to_string(100000 + i % 1000), storage::LockEvent::locked,
                                1700000000000 + i, ""};
        history.append(std::move(e), [&, events](storage::Status) {
          if (++acked == events) all_acked.set_value();
        });
      }
      all_acked.get_future().wait();
      auto spooled = Clock::now() - start;
      std::promise<storage::Status> flushed;
      history.flush(std::chrono::minutes(10), [&](storage::Status st) { flushed.set_value(st); });
      auto st = flushed.get_future().get();
      auto total = Clock::now() - start;
      if (!st.ok) {
        std::fprintf(stderr, "flush: %s\n", st.message.c_str());
        status = 1;
      }
      auto stats = history.stats();
      if (!opt["kv"].empty()) {
        // The Redis connection comes up in the background: wait for it with a deadline.
        auto deadline = Clock::now() + std::chrono::seconds(10);
        for (;;) {
          std::promise<bool> up;
          opened.value.kv->exists(storage::Db::auth, "x", [&](auto r) { up.set_value(r.ok); });
          if (up.get_future().get() || Clock::now() > deadline) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        bench_kv(*opened.value.kv, events, opt["kv"]);
      }
      std::printf("backend=%s sync=%s events=%ld spool_accept=%.0f/s end_to_end=%.0f/s written=%llu\n",
                  opt["backend"].c_str(), opt["sync"].c_str(), events, per_second(events, spooled),
                  per_second(events, total), static_cast<unsigned long long>(stats.written));
    }
  }
  guard.reset();
  io_thread.join();
  if (temp_dir) std::filesystem::remove_all(cfg.data_dir);
  return status;
}
