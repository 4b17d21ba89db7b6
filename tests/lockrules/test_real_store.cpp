// The rules over the real key-value stores: the embedded one always, Redis when
// SAKURA_TEST_REDIS=host:port is set (scripts/services.sh). Many locks, both owners of each
// asking at once from two threads: every lock gets exactly one unlock.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "fakes.hpp"
#include "services.hpp"
#include "storage/open.hpp"

using namespace lockrules_test;

namespace {

// A broker stand-in that counts unlocks per lock from any thread.
class CountingControl final : public broker::BrokerControl {
 public:
  void publish(broker::MessagePtr m) override {
    std::lock_guard lock(mutex_);
    ++per_topic_[m->topic];
  }
  // Every lock counts as connected: the unlock is counted like a publish.
  void publish_now(broker::MessagePtr m, std::function<void(std::vector<std::string>)> done) override {
    auto lockno = m->topic.substr(1, m->topic.find('/', 1) - 1);
    publish(std::move(m));
    done({lockno});
  }
  void disconnect_user(const std::string&) override {}
  void run_after(std::chrono::milliseconds, std::function<void()>) override {}
  std::map<std::string, int> per_topic() const {
    std::lock_guard lock(mutex_);
    return per_topic_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> per_topic_;
};

struct Backend {
  std::string name;
  storage::Config config;
};

std::vector<Backend> backends(const std::filesystem::path& dir) {
  std::vector<Backend> out;
  storage::Config embedded;
  embedded.data_dir = (dir / "embedded").string();
  embedded.sync = storage::SyncPolicy::none;
  out.push_back({"embedded", embedded});
  if (const char* redis = std::getenv("SAKURA_TEST_REDIS"); redis && *redis) {
    storage::Config r = embedded;
    r.data_dir = (dir / "redis").string();
    r.kv_backend = storage::KvBackend::redis;
    r.redis.server = redis;
    out.push_back({"redis", r});
  } else {
    SAKURA_SERVICE_MISSING("SAKURA_TEST_REDIS not set: the Redis backend");
  }
  return out;
}

template <class Pred>
bool poll(Pred pred, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

std::string random_prefix() {
  std::mt19937_64 rng{std::random_device{}()};
  return "T" + std::to_string(rng() % 900 + 100);  // 4 characters; locknos stay unique per run
}

}  // namespace

TEST_CASE("1,000 locks, both owners at once on two threads: one unlock each, on every store") {
  auto dir = std::filesystem::temp_directory_path() / ("sakura-lockrules-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  for (auto& backend : backends(dir)) {
    SUBCASE(backend.name.c_str()) {
      boost::asio::io_context io;
      auto guard = boost::asio::make_work_guard(io);
      std::thread io_thread([&] { io.run(); });
      {
        auto opened = storage::open(backend.config, io, logger());
        REQUIRE_MESSAGE(opened.ok, opened.message);
        CountingControl control;
        lockrules::Deps deps;
        deps.kv = opened.value.kv;
        deps.history = std::make_shared<FakeHistory>();
        deps.control = &control;
        deps.log = logger();
        deps.credentials = std::make_shared<auth::CredentialKeeper>(
            std::make_shared<auth::CredentialStore>(deps.kv, auth::CredentialLayout(), auth::HashSpec{}), 0ms,
            logger());
        lockrules::LockRules rules({}, deps);

        constexpr int locks = 1000;
        const auto prefix = random_prefix();
        auto lockno = [&](int i) {
          auto n = std::to_string(i);
          return prefix + std::string(7 - n.size(), '0') + n;
        };
        auto owner = [&](char role) {
          broker::ClientInfo who;
          who.client_id = std::string("owner-") + role;
          who.username = who.client_id;
          for (int i = 0; i < locks; ++i)
            rules.on_publish(who, broker::make_message("/" + lockno(i) + "/" + role, "", 1));
        };
        std::thread m([&] { owner('m'); });
        std::thread f([&] { owner('f'); });
        m.join();
        f.join();
        auto metrics = rules.metrics();
        CHECK(poll([&] { return metrics->pending.load() == 0; }, std::chrono::seconds(30)));
        CHECK(metrics->unlocks.load() == locks);
        CHECK(metrics->windows_opened.load() == locks);
        CHECK(metrics->store_errors.load() == 0);
        auto per_topic = control.per_topic();
        CHECK(per_topic.size() == static_cast<std::size_t>(locks));
        for (int i = 0; i < locks; ++i) CHECK(per_topic["/" + lockno(i) + "/call"] == 1);

        // The status rule against the same store: monitor read and written for real.
        auto history = std::static_pointer_cast<FakeHistory>(deps.history);
        const auto L = "S" + std::to_string(std::random_device{}() % 9'000'000'000ULL + 1'000'000'000ULL);
        broker::ClientInfo lock_client;
        lock_client.client_id = L;
        for (const char* s : {"1", "1", "0", "-2", "1"})
          rules.on_publish(lock_client, broker::make_message("/" + L + "/statu", s, 1));
        CHECK(poll([&] { return metrics->pending.load() == 0; }, std::chrono::seconds(10)));
        std::vector<storage::LockEvent> events;
        for (auto& e : history->events()) events.push_back(e.event);
        CHECK(events == std::vector<storage::LockEvent>{storage::LockEvent::locked, storage::LockEvent::unlocked,
                                                        storage::LockEvent::offline, storage::LockEvent::online});
        rules.close();
      }
      guard.reset();
      io.stop();
      io_thread.join();
    }
  }
  std::filesystem::remove_all(dir);
}
