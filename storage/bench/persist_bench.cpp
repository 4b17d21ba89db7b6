// sakura-persist-bench: acknowledged QoS 1 messages per second through the persistence store,
// per sync policy, and the same through a SQLite WAL alternative, to choose between them
// (docs/storage.md, "Persistence journal", has the figures).
//   sakura-persist-bench [--store journal|sqlite|all] [--sync always|everysec|none|all]
//                        [--messages N] [--window W] [--payload BYTES] [--dir DIR]
// Each message is what the broker persists for a QoS 1 publish to one persistent subscriber:
// the body and its enqueue, then a barrier (the PUBACK waits on it), then the send and the
// completion. W barriers are outstanding at once, as W publishers waiting for their PUBACK.
// Prints one line per store and policy: messages/s and the mean and p99 barrier latency.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_options.hpp"
#include "broker/persisted_state.hpp"
#include "storage/journal.hpp"
#include "storage/journal_codec.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace p = broker::persist;

// The alternative measured against the journal: a group-commit writer over SQLite in WAL mode,
// one INSERT of the encoded record per record and one transaction per batch. It models only
// the write path (no load, no deletes), which flatters it.
class SqliteStore final : public broker::Persistence {
 public:
  SqliteStore(const std::string& path, storage::SyncPolicy sync) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    const char* level = sync == storage::SyncPolicy::always     ? "FULL"
                        : sync == storage::SyncPolicy::everysec ? "NORMAL"
                                                                : "OFF";
    exec("PRAGMA journal_mode=WAL");
    exec(std::string("PRAGMA synchronous=") + level);
    exec("CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, record BLOB NOT NULL)");
    sqlite3_prepare_v2(db_, "INSERT INTO journal (record) VALUES (?)", -1, &insert_, nullptr);
    writer_ = std::thread([this] { run(); });
  }
  ~SqliteStore() override {
    close();
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  broker::PersistedState load() override { return {}; }
  void append(p::Record r) override {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(r));
    wake_.notify_one();
  }
  void barrier(std::function<void()> done) override {
    std::lock_guard<std::mutex> lock(mu_);
    barriers_.push_back(std::move(done));
    wake_.notify_one();
  }
  std::uint64_t stored_bytes() const override { return 0; }
  void close() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (writer_.joinable()) writer_.join();
  }

 private:
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string what = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(sql + ": " + what);
    }
  }
  void run() {
    std::vector<p::Record> batch;
    std::vector<std::function<void()>> done;
    std::string bytes;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !barriers_.empty(); });
        if (queue_.empty() && barriers_.empty()) return;
        batch.swap(queue_);
        done.swap(barriers_);
      }
      exec("BEGIN");
      for (auto& r : batch) {
        bytes.clear();
        storage::encode_record(r, bytes);
        sqlite3_bind_blob(insert_, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
        int rc = sqlite3_step(insert_);
        sqlite3_reset(insert_);
        if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
      }
      exec("COMMIT");
      for (auto& f : done) f();
      batch.clear();
      done.clear();
    }
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<p::Record> queue_;
  std::vector<std::function<void()>> barriers_;
  bool stopping_ = false;
  std::thread writer_;
};

struct Figures {
  double per_second = 0;
  double mean_ms = 0;
  double p99_ms = 0;
};

Figures drive(broker::Persistence& store, long messages, long window, std::size_t payload) {
  std::mutex mu;
  std::condition_variable freed;
  long outstanding = 0;
  std::vector<double> latency_ms(static_cast<std::size_t>(messages));
  const std::string body(payload, 'x');
  store.append(p::SessionCreated{"subscriber"});
  auto start = Clock::now();
  for (long i = 0; i < messages; ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      freed.wait(lock, [&] { return outstanding < window; });
      ++outstanding;
    }
    auto id = static_cast<p::MessageId>(i + 1);
    auto packet = static_cast<std::uint16_t>(i % 65535 + 1);
    auto issued = Clock::now();
    store.append(p::MessageStored{id, broker::make_message("/12345678901/call", body, 1)});
    store.append(p::Enqueued{"subscriber", id, 1, false});
    store.barrier([&, i, issued] {
      latency_ms[static_cast<std::size_t>(i)] =
          std::chrono::duration<double, std::milli>(Clock::now() - issued).count();
      std::lock_guard<std::mutex> lock(mu);
      --outstanding;
      freed.notify_one();
    });
    store.append(p::Sent{"subscriber", id, packet});
    store.append(p::Completed{"subscriber", packet});
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    freed.wait(lock, [&] { return outstanding == 0; });
  }
  Figures f;
  f.per_second = messages / std::chrono::duration<double>(Clock::now() - start).count();
  double sum = 0;
  for (double l : latency_ms) sum += l;
  f.mean_ms = sum / static_cast<double>(messages);
  std::sort(latency_ms.begin(), latency_ms.end());
  f.p99_ms = latency_ms[static_cast<std::size_t>(static_cast<double>(messages - 1) * 0.99)];
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = storage_bench::po;
  std::string store_opt, sync_opt, dir_opt;
  long messages = 0, window = 0, payload_opt = 0;
  po::options_description desc("sakura-persist-bench options");
  desc.add_options()  //
      ("store",
       po::value(&store_opt)
           ->default_value("all")
           ->notifier(storage_bench::one_of("store", {"journal", "sqlite", "all"})),
       "journal, sqlite or all")  //
      ("sync",
       po::value(&sync_opt)->default_value("all")->notifier(
           storage_bench::one_of("sync", {"always", "everysec", "none", "all"})),
       "always, everysec, none or all")  //
      ("messages",
       po::value(&messages)->default_value(20000)->notifier(storage_bench::in_range("messages", 1, 100000000)),
       "QoS 1 messages per store and policy")  //
      ("window", po::value(&window)->default_value(64)->notifier(storage_bench::in_range("window", 1, 1000000)),
       "barriers outstanding at once (publishers waiting for their PUBACK)")  //
      ("payload", po::value(&payload_opt)->default_value(64)->notifier(storage_bench::in_range("payload", 0, 64 << 20)),
       "bytes of each message's body")  //
      ("dir", po::value(&dir_opt)->default_value(""),
       "where the stores go (empty: a temporary directory, removed after)");
  po::variables_map vm;
  if (auto stop = storage_bench::parse(argc, argv, "sakura-persist-bench", desc, vm)) return *stop;
  const auto payload = static_cast<std::size_t>(payload_opt);
  namespace fs = std::filesystem;
  fs::path dir = dir_opt.empty() ? fs::temp_directory_path() / ("sakura-persist-bench-" + std::to_string(::getpid()))
                                 : fs::path(dir_opt);
  fs::create_directories(dir);
  auto log = spdlog::stderr_color_mt("bench");
  log->set_level(spdlog::level::warn);

  std::vector<std::pair<std::string, storage::SyncPolicy>> policies = {{"always", storage::SyncPolicy::always},
                                                                       {"everysec", storage::SyncPolicy::everysec},
                                                                       {"none", storage::SyncPolicy::none}};
  for (auto& [sync_name, sync] : policies) {
    if (sync_opt != "all" && sync_opt != sync_name) continue;
    for (std::string store_name : {"journal", "sqlite"}) {
      if (store_opt != "all" && store_opt != store_name) continue;
      fs::path file = dir / (store_name + "-" + sync_name);
      fs::remove(file);
      fs::remove(file.string() + "-wal");
      fs::remove(file.string() + "-shm");
      std::shared_ptr<broker::Persistence> store;
      if (store_name == "journal") {
        store = storage::open_journal({file.string(), sync}, log);
        store->load();
      } else {
        store = std::make_shared<SqliteStore>(file.string(), sync);
      }
      auto f = drive(*store, messages, window, payload);
      store->close();
      std::printf("store=%s sync=%s messages=%ld window=%ld payload=%zu acked=%.0f/s latency_mean=%.2fms p99=%.2fms\n",
                  store_name.c_str(), sync_name.c_str(), messages, window, payload, f.per_second, f.mean_ms, f.p99_ms);
      std::fflush(stdout);
    }
  }
  if (dir_opt.empty()) fs::remove_all(dir);
  return 0;
}
