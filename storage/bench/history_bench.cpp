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
    kv.hmget(storage::Db::auth, "mqtt_user:bench", {"password", "salt", "is_superuser"}, [done](auto) { done(); });
  });
  double pairs = timed(n, [&](long i, auto done) {
    kv.pair_unlock("BENCH" + std::to_string(i / 2), i % 2 ? 'f' : 'm', 35s, [done](auto) { done(); });
  });
  std::printf("kv=%s calls=%ld hmget=%.0f/s pair_unlock=%.0f/s\n", name.c_str(), n, lookups, pairs);
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = storage_bench::po;
  std::string backend, sync, dir, host, user, password, database, kv, redis;
  long events = 0, port = 0;
  po::options_description desc("sakura-history-bench options");
  desc.add_options()  //
      ("backend",
       po::value(&backend)->default_value("sqlite")->notifier(storage_bench::one_of("backend", {"sqlite", "mariadb"})),
       "sqlite or mariadb")  //
      ("events", po::value(&events)->default_value(20000)->notifier(storage_bench::in_range("events", 1, 100000000)),
       "history events to write")  //
      ("sync",
       po::value(&sync)
           ->default_value("everysec")
           ->notifier(storage_bench::one_of("sync", {"always", "everysec", "none"})),
       "the spool's fsync policy: always, everysec or none")                                                 //
      ("dir", po::value(&dir)->default_value(""), "data directory (empty: a temporary one, removed after)")  //
      ("host",
       po::value(&host)->default_value(env_or("SAKURA_TEST_MARIADB_HOST", "127.0.0.1"),
                                       "$SAKURA_TEST_MARIADB_HOST or 127.0.0.1"),
       "MariaDB host")  //
      ("port",
       po::value(&port)
           ->default_value(std::stol(env_or("SAKURA_TEST_MARIADB_PORT", "3306")), "$SAKURA_TEST_MARIADB_PORT or 3306")
           ->notifier(storage_bench::in_range("port", 1, 65535)),
       "MariaDB port")  //
      ("user",
       po::value(&user)->default_value(env_or("SAKURA_TEST_MARIADB_USER", "lockadmin"),
                                       "$SAKURA_TEST_MARIADB_USER or lockadmin"),
       "MariaDB user")  //
      ("password",
       po::value(&password)->default_value(env_or("SAKURA_TEST_MARIADB_PASSWORD", ""), "$SAKURA_TEST_MARIADB_PASSWORD"),
       "MariaDB password")                                                                        //
      ("database", po::value(&database)->default_value("sakura_test_bench"), "MariaDB database")  //
      ("kv", po::value(&kv)->default_value("")->notifier(storage_bench::one_of("kv", {"", "embedded", "redis"})),
       "also measure the key-value calls of the login and unlock paths: embedded or redis (empty: no)")  //
      ("redis",
       po::value(&redis)->default_value(env_or("SAKURA_TEST_REDIS", "127.0.0.1:6379"),
                                        "$SAKURA_TEST_REDIS or 127.0.0.1:6379"),
       "Redis HOST:PORT, with --kv redis");
  po::variables_map vm;
  if (auto stop = storage_bench::parse(argc, argv, "sakura-history-bench", desc, vm)) return *stop;

  storage::Config cfg;
  cfg.sync = sync == "always" ? storage::SyncPolicy::always
             : sync == "none" ? storage::SyncPolicy::none
                              : storage::SyncPolicy::everysec;
  if (backend == "mariadb") {
    cfg.sql.backend = storage::SqlBackend::mariadb;
    cfg.sql.host = host;
    cfg.sql.port = static_cast<std::uint16_t>(port);
    cfg.sql.user = user;
    cfg.sql.password = password;
    cfg.sql.database = database;
  }
  const bool temp_dir = dir.empty();
  cfg.data_dir =
      temp_dir
          ? (std::filesystem::temp_directory_path() / ("sakura-history-bench-" + std::to_string(::getpid()))).string()
          : dir;
  cfg.history_spool_limit = static_cast<std::size_t>(events) + 1;

  if (!kv.empty()) {
    cfg.kv_backend = kv == "redis" ? storage::KvBackend::redis : storage::KvBackend::embedded;
    cfg.redis.server = redis;
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
      if (!kv.empty()) {
        // The Redis connection comes up in the background: wait for it with a deadline.
        auto deadline = Clock::now() + std::chrono::seconds(10);
        for (;;) {
          std::promise<bool> up;
          opened.value.kv->exists(storage::Db::auth, "x", [&](auto r) { up.set_value(r.ok); });
          if (up.get_future().get() || Clock::now() > deadline) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        bench_kv(*opened.value.kv, events, kv);
      }
      std::printf("backend=%s sync=%s events=%ld spool_accept=%.0f/s end_to_end=%.0f/s written=%llu\n", backend.c_str(),
                  sync.c_str(), events, per_second(events, spooled), per_second(events, total),
                  static_cast<unsigned long long>(stats.written));
    }
  }
  guard.reset();
  io_thread.join();
  if (temp_dir) std::filesystem::remove_all(cfg.data_dir);
  return status;
}
