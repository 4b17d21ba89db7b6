// Redis killed and restarted under the key-value store: operations fail fast while it is down
// (auth must fail closed, not hang), recover by themselves, and the pairing script still works
// after the restart emptied Redis' script cache (EVALSHA -> NOSCRIPT -> EVAL).
#include <spdlog/sinks/ringbuffer_sink.h>

#include <atomic>
#include <csignal>

#include "private_server.hpp"

using namespace storage_test;
using storage::Db;
using storage::PairOutcome;
using storage::Result;
using storage::Status;

namespace {

bool kv_works(storage::KeyValue& kv) {
  return wait<Status>([&](auto cb) { kv.set(Db::auth, "alive", "1", 0ms, cb); }).ok;
}

}  // namespace

TEST_CASE("redis faults: killed, failing fast, restarted, recovered") {
  if (!have_binary("redis-server")) {
    SAKURA_SERVICE_MISSING("redis-server not installed");
    return;
  }
  TempDir dir;
  PrivateServer redis("redis", dir.str() + "/redis");
  REQUIRE(redis.start());

  storage::Config cfg;
  cfg.kv_backend = storage::KvBackend::redis;
  cfg.redis.server = "127.0.0.1:" + std::to_string(redis.port());
  cfg.redis.command_timeout = 500ms;
  cfg.redis.reconnect_min = 50ms;
  cfg.redis.reconnect_max = 400ms;
  auto o = open_backend("redis", cfg);
  storage::KeyValue& kv = *o->s.kv;
  REQUIRE(eventually([&] { return kv_works(kv); }));
  const std::string lock = random_hex(11);
  CHECK(wait<Result<PairOutcome>>([&](auto cb) { kv.pair_unlock(lock, 'm', 35s, cb); }).value == PairOutcome::waiting);

  // A burst in flight when the server dies: every callback arrives, exactly once, none hangs.
  const int burst = 5000;
  std::atomic<int> answered{0}, twice{0};
  std::vector<std::atomic<bool>> seen(burst);
  for (int i = 0; i < burst; ++i)
    kv.hmget(Db::auth, "mqtt_user:burst", {"password"}, [&, i](auto) {
      if (seen[i].exchange(true)) ++twice;
      ++answered;
    });
  redis.stop();
  CHECK(eventually([&] { return answered.load() == burst; }, 10s));
  CHECK(twice.load() == 0);

  // The first calls may still meet the dying socket; from then on every call fails, fast.
  CHECK(eventually([&] { return !kv_works(kv); }, 5s));
  for (int i = 0; i < 20; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto r = wait<Result<std::vector<std::optional<std::string>>>>(
        [&](auto cb) { kv.hmget(Db::auth, "mqtt_user:x", {"password"}, cb); }, 2s);
    CHECK_FALSE(r.ok);
    CHECK(std::chrono::steady_clock::now() - start < 600ms);  // never longer than the timeout
  }

  REQUIRE(redis.start());  // same port, empty data and script cache
  CHECK(eventually([&] { return kv_works(kv); }, 10s));
  CHECK(wait<Result<PairOutcome>>([&](auto cb) { kv.pair_unlock(lock, 'f', 35s, cb); }).value ==
        PairOutcome::waiting);  // m's window died with the server
  CHECK(wait<Result<PairOutcome>>([&](auto cb) { kv.pair_unlock(lock, 'm', 35s, cb); }).value == PairOutcome::paired);
}

TEST_CASE("redis faults: a server that stops answering times out instead of hanging") {
  if (!have_binary("redis-server")) {
    SAKURA_SERVICE_MISSING("redis-server not installed");
    return;
  }
  TempDir dir;
  PrivateServer redis("redis", dir.str() + "/redis");
  REQUIRE(redis.start());
  storage::Config cfg;
  cfg.kv_backend = storage::KvBackend::redis;
  cfg.redis.server = "127.0.0.1:" + std::to_string(redis.port());
  cfg.redis.command_timeout = 300ms;
  cfg.redis.connect_timeout = 300ms;
  cfg.redis.reconnect_min = 50ms;
  cfg.redis.reconnect_max = 200ms;
  auto o = open_backend("redis", cfg);
  storage::KeyValue& kv = *o->s.kv;
  REQUIRE(eventually([&] { return kv_works(kv); }));

  std::string pid_text;
  {
    std::ifstream pidfile(dir.str() + "/redis/redis.pid");
    pidfile >> pid_text;
  }
  pid_t pid = std::atoi(pid_text.c_str());
  REQUIRE(pid > 0);
  ::kill(pid, SIGSTOP);
  auto start = std::chrono::steady_clock::now();
  auto r = wait<Status>([&](auto cb) { kv.set(Db::lock, "k", "v", 0ms, cb); }, 3s);
  CHECK_FALSE(r.ok);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  MESSAGE("stopped redis: " << r.message);
  ::kill(pid, SIGCONT);
  CHECK(eventually([&] { return kv_works(kv); }, 10s));
}

TEST_CASE("redis: AUTH with the right password works; a wrong one fails closed and is never logged") {
  if (!have_binary("redis-server")) {
    SAKURA_SERVICE_MISSING("redis-server not installed");
    return;
  }
  TempDir dir;
  const std::string password = "s3cret-" + random_hex(8);
  PrivateServer redis("redis", dir.str() + "/redis", password);
  REQUIRE(redis.start());

  // Capture everything storage logs, to check that no password ever reaches a log line.
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  auto log = std::make_shared<spdlog::logger>("auth-test", sink);
  log->set_level(spdlog::level::trace);

  storage::Config cfg;
  cfg.kv_backend = storage::KvBackend::redis;
  cfg.redis.server = "127.0.0.1:" + std::to_string(redis.port());
  cfg.redis.reconnect_min = 50ms;
  cfg.redis.reconnect_max = 100ms;
  for (const bool right : {false, true}) {
    CAPTURE(right);
    cfg.redis.password = right ? password : "wrong-" + random_hex(8);
    IoThread io;
    auto opened = storage::open(cfg, io.io(), log);
    REQUIRE(opened.ok);
    storage::KeyValue& kv = *opened.value.kv;
    if (right) {
      CHECK(eventually([&] { return kv_works(kv); }));
    } else {
      // Give it several connect attempts; every call must fail, none may hang.
      auto deadline = std::chrono::steady_clock::now() + 500ms;
      int calls = 0, succeeded = 0;
      for (; std::chrono::steady_clock::now() < deadline; ++calls) succeeded += kv_works(kv);
      CHECK(calls > 10);
      CHECK(succeeded == 0);
    }
    const std::string secret = cfg.redis.password;
    opened.value = {};
    bool refusal_logged = false;
    for (const auto& line : sink->last_formatted()) {
      CHECK_MESSAGE(line.find(secret) == std::string::npos, "password in log: " << line);
      refusal_logged |= line.find("AUTH refused") != std::string::npos;
    }
    CHECK(refusal_logged == !right);
    sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
    log->sinks() = {sink};
  }
}

TEST_CASE("redis: a call issued right after open waits for the first connect instead of failing") {
  auto server = redis_from_env();
  if (!server) {
    SAKURA_SERVICE_MISSING("SAKURA_TEST_REDIS not set");
    return;
  }
  storage::Config cfg;
  cfg.kv_backend = storage::KvBackend::redis;
  cfg.redis = *server;
  IoThread io;
  auto opened = storage::open(cfg, io.io(), logger());
  REQUIRE(opened.ok);
  const std::string key = "early-" + random_hex(8);
  auto st = wait<Status>([&](auto cb) { opened.value.kv->set(Db::lock, key, "v", 10s, cb); });
  CHECK_MESSAGE(st.ok, st.message);

  // With nothing listening, the first connect fails and so does the early call, within bounds.
  cfg.redis.server = "127.0.0.1:1";
  auto dead = storage::open(cfg, io.io(), logger());
  REQUIRE(dead.ok);
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(wait<Status>([&](auto cb) { dead.value.kv->set(Db::lock, key, "v", 0ms, cb); }).ok);
  CHECK(std::chrono::steady_clock::now() - start < cfg.redis.command_timeout + 500ms);
  opened.value = {};
  dead.value = {};
}
