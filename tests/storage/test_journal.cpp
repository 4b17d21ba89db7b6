// The persistence journal (storage/journal.hpp) on real files: round trip through the file,
// barrier order, torn tails at every byte, damage in the middle, hostile files, compaction, and
// a SIGKILL under sync=always.
#include <signal.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <random>
#include <set>

#include "journal_support.hpp"
#include "storage/journal.hpp"
#include "storage/journal_codec.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
namespace p = broker::persist;
using journal_test::dump;
using journal_test::frame_starts;
using journal_test::read_bytes;
using journal_test::replay;
using journal_test::sample_records;
using journal_test::write_bytes;
using storage::SyncPolicy;
using storage_test::TempDir;

namespace {

storage::JournalConfig config(const TempDir& dir, SyncPolicy sync = SyncPolicy::everysec) {
  storage::JournalConfig c;
  c.path = dir.str() + "/data/sessions.journal";
  c.sync = sync;
  return c;
}

broker::PersistedState load(const storage::JournalConfig& c) {
  return storage::open_journal(c, storage_test::logger())->load();
}

// Writes `records` through a journal and closes it; the file then holds them after the (empty)
// compacted start.
void write_journal(const storage::JournalConfig& c, const std::vector<p::Record>& records) {
  auto j = storage::open_journal(c, storage_test::logger());
  j->load();
  for (auto& r : records) j->append(r);
  j->close();
}

std::vector<std::string> moved_aside(const storage::JournalConfig& c) {
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(fs::path(c.path).parent_path()))
    if (e.path().filename().string().find(".corrupt-") != std::string::npos) names.push_back(e.path().string());
  return names;
}

}  // namespace

TEST_CASE("records round-trip through the file under every sync policy") {
  for (auto sync : {SyncPolicy::always, SyncPolicy::everysec, SyncPolicy::none}) {
    TempDir dir;
    auto c = config(dir, sync);
    auto records = sample_records();
    write_journal(c, records);
    auto expected = replay(records, records.size());
    CHECK(dump(load(c)) == dump(expected));
    // Loading rewrote the journal compacted; it still loads the same.
    auto j = storage::open_journal(c, storage_test::logger());
    CHECK(dump(j->load()) == dump(expected));
    CHECK(j->stored_bytes() == expected.stored_bytes());
    CHECK(moved_aside(c).empty());
  }
}

TEST_CASE("an absent or empty file loads an empty state and close is idempotent") {
  TempDir dir;
  auto c = config(dir);
  auto j = storage::open_journal(c, storage_test::logger());
  CHECK(fs::exists(c.path));
  auto s = j->load();
  CHECK(s.sessions.empty());
  CHECK(s.messages.empty());
  j->close();
  j->close();
  write_bytes(c.path, "");
  CHECK(load(c).sessions.empty());
  CHECK(moved_aside(c).empty());
}

TEST_CASE("barrier callbacks run in order, each after its records are in the file") {
  for (auto sync : {SyncPolicy::always, SyncPolicy::everysec, SyncPolicy::none}) {
    TempDir dir;
    auto c = config(dir, sync);
    auto j = storage::open_journal(c, storage_test::logger());
    j->load();
    constexpr int kBarriers = 200;
    std::vector<int> order;
    std::vector<std::size_t> frames_at_callback;
    std::promise<void> all_done;
    std::uint64_t bytes = 0;
    j->append(p::SessionCreated{"c"});
    for (int i = 1; i <= kBarriers; ++i) {
      bytes += 2 + std::to_string(i).size();
      j->append(p::MessageStored{static_cast<p::MessageId>(i), broker::make_message("/t", std::to_string(i), 1)});
      j->append(p::Enqueued{"c", static_cast<p::MessageId>(i), 1, false});
      j->barrier([&, i] {
        order.push_back(i);
        frames_at_callback.push_back(frame_starts(read_bytes(c.path)).size() - 1);
        if (i == kBarriers) all_done.set_value();
      });
    }
    REQUIRE(all_done.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    for (int i = 1; i <= kBarriers; ++i) {
      CHECK(order[i - 1] == i);
      CHECK(frames_at_callback[i - 1] >= 1 + 2u * i);  // the session, then two per message
    }
    CHECK(j->stored_bytes() == bytes);
    j->close();
  }
}

TEST_CASE("a file cut at every byte of its last records loads the longest whole prefix") {
  TempDir dir;
  auto c = config(dir);
  auto records = sample_records();
  write_journal(c, records);
  const std::string full = read_bytes(c.path);
  auto starts = frame_starts(full);
  REQUIRE(starts.back() == full.size());
  REQUIRE(starts.size() == records.size() + 1);
  // The last five records, header-only files and every partial header.
  std::size_t from = starts[starts.size() - 6];
  std::vector<std::size_t> cuts;
  for (std::size_t cut = 0; cut <= 12; ++cut) cuts.push_back(cut);
  for (std::size_t cut = from; cut < full.size(); ++cut) cuts.push_back(cut);
  for (auto cut : cuts) {
    CAPTURE(cut);
    TempDir d;
    auto cc = config(d);
    fs::create_directories(fs::path(cc.path).parent_path());
    write_bytes(cc.path, full.substr(0, cut));
    std::size_t whole = cut < 12 ? 0 : std::upper_bound(starts.begin(), starts.end(), cut) - starts.begin() - 1;
    auto expected = dump(replay(records, whole));
    broker::PersistedState got;
    CHECK_NOTHROW(got = load(cc));
    CHECK(dump(got) == expected);
    CHECK(moved_aside(cc).empty());
    // The torn bytes are gone: the journal now ends at a whole record.
    auto again = read_bytes(cc.path);
    CHECK(frame_starts(again).back() == again.size());
    CHECK(dump(load(cc)) == expected);
  }
}

TEST_CASE("a flipped byte in the middle moves the file aside and keeps the prefix") {
  auto records = sample_records();
  TempDir source;
  auto sc = config(source);
  write_journal(sc, records);
  const std::string full = read_bytes(sc.path);
  auto starts = frame_starts(full);
  for (std::size_t k : {std::size_t(0), std::size_t(5), records.size() / 2, records.size() - 3}) {
    for (std::size_t at : {starts[k] + 2, starts[k] + 5, starts[k] + 9, starts[k + 1] - 1}) {
      CAPTURE(k);
      CAPTURE(at);
      TempDir d;
      auto c = config(d);
      fs::create_directories(fs::path(c.path).parent_path());
      std::string damaged = full;
      damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
      write_bytes(c.path, damaged);
      CHECK(dump(load(c)) == dump(replay(records, k)));
      auto aside = moved_aside(c);
      REQUIRE(aside.size() == 1);
      CHECK(read_bytes(aside[0]) == damaged);
      CHECK(dump(load(c)) == dump(replay(records, k)));
    }
  }
}

TEST_CASE("garbage is moved aside; a newer format version is refused and left in place") {
  SUBCASE("garbage") {
    TempDir d;
    auto c = config(d);
    fs::create_directories(fs::path(c.path).parent_path());
    write_bytes(c.path, "this is not a journal at all, just text\n");
    CHECK(load(c).sessions.empty());
    REQUIRE(moved_aside(c).size() == 1);
    CHECK(read_bytes(moved_aside(c)[0]) == "this is not a journal at all, just text\n");
  }
  SUBCASE("zeros") {
    TempDir d;
    auto c = config(d);
    fs::create_directories(fs::path(c.path).parent_path());
    write_bytes(c.path, std::string(4096, '\0'));
    CHECK(load(c).sessions.empty());
    CHECK(moved_aside(c).size() == 1);
  }
  SUBCASE("a header and zeros, as a power cut can leave") {
    TempDir d;
    auto c = config(d);
    auto records = sample_records();
    write_journal(c, records);
    write_bytes(c.path, read_bytes(c.path) + std::string(4096, '\0'));
    CHECK(dump(load(c)) == dump(replay(records, records.size())));
    CHECK(moved_aside(c).empty());
  }
  SUBCASE("version 2") {
    TempDir d;
    auto c = config(d);
    fs::create_directories(fs::path(c.path).parent_path());
    std::string future = std::string("SAKURAPJ") + std::string("\x02\x00\x00\x00", 4) + "whatever";
    write_bytes(c.path, future);
    auto j = storage::open_journal(c, storage_test::logger());
    CHECK_THROWS_WITH_AS(j->load(), doctest::Contains("written by a newer Sakura"), std::runtime_error);
    CHECK(read_bytes(c.path) == future);
    CHECK(moved_aside(c).empty());
  }
}

TEST_CASE("compaction keeps the state and bounds the file") {
  TempDir dir;
  auto c = config(dir, SyncPolicy::none);
  c.compact_min_bytes = 16 * 1024;
  std::vector<p::Record> records;
  records.push_back(p::SessionCreated{"c"});
  records.push_back(p::Subscribed{"c", "/#", 1});
  // Churn: each message queued, sent and completed; every tenth stays queued.
  for (p::MessageId id = 1; id <= 5000; ++id) {
    records.push_back(p::MessageStored{id, broker::make_message("/t/" + std::to_string(id), std::string(100, 'x'), 1)});
    records.push_back(p::Enqueued{"c", id, 1, false});
    if (id % 10) {
      records.push_back(p::Sent{"c", id, static_cast<std::uint16_t>(id % 60000 + 1)});
      records.push_back(p::Completed{"c", static_cast<std::uint16_t>(id % 60000 + 1)});
    }
    if (id % 1000 == 0) records.push_back(p::RetainSet{"/r", id});
  }
  auto j = storage::open_journal(c, storage_test::logger());
  j->load();
  std::size_t total = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    j->append(records[i]);
    std::string frame;
    storage::encode_record(records[i], frame);
    total += frame.size() + 8;
    // The writer sees the file grow in steps, as in a live broker.
    if (i % 500 == 499) storage_test::wait<bool>([&](auto done) { j->barrier([done] { done(true); }); });
  }
  j->close();
  auto size = fs::file_size(c.path);
  CHECK(total > 700 * 1024);
  CHECK(size < 250 * 1024);  // the live state, 500 queued bodies, is about 70 kB
  CHECK(dump(load(c)) == dump(replay(records, records.size())));
}

TEST_CASE("random record streams load the same after many compactions") {
  // Routes are appended as the broker does: a new body, then its enqueues and retain, together;
  // everything else picks among a few sessions, ids and packet ids so that records collide.
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> clients = {"a", "b", "c", "d"};
  for (int round = 0; round < 20; ++round) {
    CAPTURE(round);
    TempDir dir;
    auto c = config(dir, SyncPolicy::none);
    c.compact_min_bytes = 2048;
    auto j = storage::open_journal(c, storage_test::logger());
    j->load();
    std::vector<p::Record> all;
    p::MessageId next_id = 1;
    for (int group = 0; group < 400; ++group) {
      std::vector<p::Record> g;
      auto client = clients[static_cast<std::size_t>(pick(4))];
      auto packet = static_cast<std::uint16_t>(1 + pick(6));
      auto old_id = static_cast<p::MessageId>(1 + pick(static_cast<int>(next_id)));
      switch (pick(12)) {
        case 0: g.push_back(p::SessionCreated{client}); break;
        case 1:
          if (pick(4) == 0) g.push_back(p::SessionEnded{client});
          break;
        case 2:
          g.push_back(pick(2) ? p::Record{p::SessionAttached{client}}
                              : p::Record{p::SessionDetached{client, 1000 + group}});
          break;
        case 3:
          g.push_back(pick(3) ? p::Record{p::Subscribed{client, "/f" + std::to_string(pick(3)),
                                                        static_cast<std::uint8_t>(pick(3))}}
                              : p::Record{p::Unsubscribed{client, "/f" + std::to_string(pick(3))}});
          break;
        case 4:
        case 5:
        case 6: {
          auto id = next_id++;
          g.push_back(p::MessageStored{
              id, broker::make_message("/t" + std::to_string(pick(3)), std::string(pick(200), 'm'), 1)});
          for (int k = pick(4); k > 0; --k)
            g.push_back(p::Enqueued{clients[static_cast<std::size_t>(pick(4))], id,
                                    static_cast<std::uint8_t>(1 + pick(2)), pick(2) == 0});
          if (pick(4) == 0) g.push_back(p::RetainSet{"/t" + std::to_string(pick(3)), id});
          break;
        }
        case 7: g.push_back(p::Sent{client, old_id, packet}); break;
        case 8:
          g.push_back(pick(3) ? p::Record{p::Completed{client, packet}} : p::Record{p::Released{client, packet}});
          break;
        case 9: g.push_back(p::Dropped{client, old_id}); break;
        case 10:
          g.push_back(pick(2) ? p::Record{p::IncomingQos2{client, packet}}
                              : p::Record{p::IncomingQos2Done{client, packet}});
          break;
        default: g.push_back(p::RetainCleared{"/t" + std::to_string(pick(3))}); break;
      }
      for (auto& r : g) {
        j->append(r);
        all.push_back(r);
      }
      if (pick(8) == 0) storage_test::wait<bool>([&](auto done) { j->barrier([done] { done(true); }); });
    }
    j->close();
    CHECK(dump(load(c)) == dump(replay(all, all.size())));
  }
}

TEST_CASE("every acknowledged message survives a SIGKILL under sync=always") {
  TempDir dir;
  auto c = config(dir, SyncPolicy::always);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    try {
      auto log = std::make_shared<spdlog::logger>("child", std::make_shared<spdlog::sinks::null_sink_mt>());
      auto j = storage::open_journal(c, log);
      j->load();
      j->append(p::SessionCreated{"c"});
      for (p::MessageId id = 1;; ++id) {
        j->append(p::MessageStored{id, broker::make_message("/lock/call", "unlock " + std::to_string(id), 1)});
        j->append(p::Enqueued{"c", id, 1, false});
        std::promise<void> durable;
        j->barrier([&] { durable.set_value(); });
        durable.get_future().wait();
        if (::write(fds[1], &id, sizeof id) != sizeof id) ::_exit(3);
      }
    } catch (...) {
      ::_exit(2);
    }
  }
  ::close(fds[1]);
  std::vector<p::MessageId> acked;
  p::MessageId id = 0;
  while (acked.size() < 300 && ::read(fds[0], &id, sizeof id) == sizeof id) acked.push_back(id);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  // Acknowledgements already in the pipe when the child died count too.
  while (::read(fds[0], &id, sizeof id) == sizeof id) acked.push_back(id);
  ::close(fds[0]);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(acked.size() >= 300);
  auto state = load(c);
  REQUIRE(state.sessions.count("c"));
  std::set<p::MessageId> queued;
  for (auto& o : state.sessions["c"].outgoing) queued.insert(o.id);
  for (auto a : acked) CHECK(queued.count(a));
}

TEST_CASE("a full disk: the journal keeps its state in memory, holds barriers, and catches up") {
  using namespace std::chrono_literals;
  TempDir dir;
  auto c = config(dir, SyncPolicy::always);
  auto j = storage::open_journal(c, storage_test::logger());
  j->load();
  j->append(p::SessionCreated{"lock-A"});
  j->append(p::Subscribed{"lock-A", "/12345678901/call", 1});
  std::promise<void> first;
  j->barrier([&] { first.set_value(); });
  REQUIRE(first.get_future().wait_for(10s) == std::future_status::ready);
  const auto size = fs::file_size(c.path);

  std::atomic<int> held{0};
  {
    storage_test::FileSizeLimit full(size + 10);  // a frame fits only partly
    const std::string body(100'000, 'x');
    for (std::uint64_t id = 1; id <= 50; ++id) {
      j->append(p::MessageStored{id, broker::make_message("/12345678901/call", body, 1)});
      j->append(p::Enqueued{"lock-A", id, 1, false});
    }
    j->barrier([&] { ++held; });
    CHECK(storage_test::eventually([&] { return j->failing(); }));
    // The records went to memory (what persistence.max_bytes is checked against), not to a queue.
    CHECK(storage_test::eventually([&] { return j->stored_bytes() >= 50 * body.size(); }));
    CHECK(fs::file_size(c.path) == size);  // the partial frame was cut off
    CHECK(held == 0);                      // nothing appended since the failure is durable yet
  }
  // Room again: within about a second the state is written whole and the barrier runs.
  CHECK(storage_test::eventually([&] { return !j->failing() && held == 1; }, 5s));
  j->append(p::Sent{"lock-A", 1, 1});
  j->close();
  auto state = load(c);
  REQUIRE(state.sessions.count("lock-A") == 1);
  CHECK(state.sessions.at("lock-A").outgoing.size() == 50);
  CHECK(state.sessions.at("lock-A").outgoing.front().packet_id == 1);
}
