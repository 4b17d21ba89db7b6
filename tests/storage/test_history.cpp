// The history write-behind: every acknowledged event reaches the database in order, exactly
// once, through an unreachable database, a restart and a crash; a torn spool tail is cut off.
#include <filesystem>
#include <fstream>
#include <set>

#include "support.hpp"

using namespace storage_test;
using storage::HistoryEvent;
using storage::HistoryRow;
using storage::LockEvent;
using storage::Result;
using storage::Status;

namespace {

// Every row of one lock, oldest first, read page by page.
std::vector<HistoryRow> all_rows(storage::Sql& sql, const std::string& lockno) {
  std::vector<HistoryRow> out;
  std::int64_t before = 0;
  for (;;) {
    auto r = wait<Result<std::vector<HistoryRow>>>([&](auto cb) { sql.history_page(lockno, before, 1000, cb); });
    REQUIRE_MESSAGE(r.ok, r.message);
    if (r.value.empty()) break;
    before = r.value.back().id;
    out.insert(out.end(), r.value.begin(), r.value.end());
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Exactly the timestamps base..base+n-1, each once, in that order.
void check_sequence(const std::vector<HistoryRow>& rows, std::int64_t base, int n) {
  REQUIRE(rows.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (rows[i].ts_ms != base + i) {
      FAIL_CHECK("row " << i << " has ts " << rows[i].ts_ms << ", expected " << base + i);
      return;
    }
  }
}

storage::Config unreachable_mariadb() {
  storage::Config cfg;
  cfg.sql.backend = storage::SqlBackend::mariadb;
  cfg.sql.host = "127.0.0.1";
  cfg.sql.port = 1;
  cfg.sql.connect_timeout = 1000ms;
  return cfg;
}

}  // namespace

TEST_CASE("history: appended events are written in order, exactly once, on every backend") {
  for (auto& b : sql_backends()) {
    CAPTURE(b->name);
    const std::string lock = random_hex(11);
    const int n = 2000;
    for (int i = 0; i < n; ++i) b->s.history->append({lock, LockEvent::online, 1000 + i, ""});
    auto st = wait<Status>([&](auto cb) { b->s.history->flush(20s, cb); }, 30s);
    REQUIRE_MESSAGE(st.ok, st.message);
    check_sequence(all_rows(*b->s.sql, lock), 1000, n);
    auto stats = b->s.history->stats();
    CHECK(stats.accepted == n);
    CHECK(stats.written == n);
    CHECK(stats.pending == 0);
  }
}

TEST_CASE("history: events wait in the spool while the database is unreachable, then survive a restart") {
  TempDir dir;
  IoThread io;
  const int n = 300;
  {
    storage::Config cfg = unreachable_mariadb();
    cfg.data_dir = dir.str();
    auto r = storage::open(cfg, io.io(), logger());
    REQUIRE_MESSAGE(r.ok, r.message);
    for (int i = 0; i < n; ++i) {
      auto st = wait<Status>([&](auto cb) {
        r.value.history->append({"SPOOL000001", LockEvent::offline, 5000 + i, ""}, cb);
      });
      REQUIRE_MESSAGE(st.ok, st.message);
    }
    CHECK(eventually([&] { return r.value.history->stats().failures > 0; }));
    auto stats = r.value.history->stats();
    CHECK(stats.pending == n);
    CHECK(stats.written == 0);
    auto flushed = wait<Status>([&](auto cb) { r.value.history->flush(200ms, cb); });
    CHECK_FALSE(flushed.ok);  // it cannot be written, and says so
  }
  // Restart on the embedded database in the same data dir: the spool drains into it.
  storage::Config cfg;
  cfg.data_dir = dir.str();
  auto r = storage::open(cfg, io.io(), logger());
  REQUIRE_MESSAGE(r.ok, r.message);
  CHECK(r.value.history->stats().pending == n);
  REQUIRE(wait<Status>([&](auto cb) { r.value.history->flush(10s, cb); }, 15s).ok);
  check_sequence(all_rows(*r.value.sql, "SPOOL000001"), 5000, n);
}

TEST_CASE("history: a crash loses nothing the spool acknowledged, and a torn tail is cut off") {
  TempDir dir;
  const int n = 500;
  std::string cmd = std::string(SAKURA_SPOOL_CHILD) + " " + dir.str() + " " + std::to_string(n);
  FILE* child = popen(cmd.c_str(), "r");
  REQUIRE(child);
  int acked = 0;
  REQUIRE(fscanf(child, "%d", &acked) == 1);
  pclose(child);  // the child killed itself after printing
  CHECK(acked == n);
  {
    // A record cut short by the crash (header promising more bytes than follow).
    std::ofstream spool(dir.str() + "/history.spool", std::ios::binary | std::ios::app);
    spool.write("\x30\x00\x00\x00\x12\x34", 6);
  }
  IoThread io;
  storage::Config cfg;
  cfg.data_dir = dir.str();
  auto r = storage::open(cfg, io.io(), logger());
  REQUIRE_MESSAGE(r.ok, r.message);
  REQUIRE(wait<Status>([&](auto cb) { r.value.history->flush(10s, cb); }, 15s).ok);
  auto rows = all_rows(*r.value.sql, "CRASH000001");
  check_sequence(rows, 1700000000000, n);
  std::set<std::int64_t> ids;
  for (const auto& row : rows) ids.insert(row.id);
  CHECK(ids.size() == rows.size());

  // New appends after recovery continue the sequence and are not confused with old ones.
  r.value.history->append({"CRASH000001", LockEvent::locked, 1700000000000 + n, ""});
  REQUIRE(wait<Status>([&](auto cb) { r.value.history->flush(10s, cb); }, 15s).ok);
  check_sequence(all_rows(*r.value.sql, "CRASH000001"), 1700000000000, n + 1);
}

TEST_CASE("history: a write the disk cuts short leaves no torn record before later events") {
  TempDir dir;
  IoThread io;
  auto append = [](storage::HistoryWriter& h, std::int64_t ts) {
    return wait<Status>([&](auto cb) { h.append({"TORN0000001", LockEvent::locked, ts, ""}, cb); });
  };
  {
    storage::Config cfg = unreachable_mariadb();  // everything stays in the spool
    cfg.data_dir = dir.str();
    auto r = storage::open(cfg, io.io(), logger());
    REQUIRE_MESSAGE(r.ok, r.message);
    for (int i = 0; i < 3; ++i) REQUIRE(append(*r.value.history, 100 + i).ok);
    auto spool = std::filesystem::path(dir.str()) / "history.spool";
    auto size = std::filesystem::file_size(spool);
    {
      FileSizeLimit full(size + 10);  // room for 10 bytes of the next 36-byte record
      CHECK_FALSE(append(*r.value.history, 103).ok);
      CHECK(std::filesystem::file_size(spool) == size);  // cut back at once
    }
    // Room again: this one is acknowledged, and must survive the restart below.
    REQUIRE(append(*r.value.history, 104).ok);
  }
  storage::Config cfg;
  cfg.data_dir = dir.str();
  auto r = storage::open(cfg, io.io(), logger());
  REQUIRE_MESSAGE(r.ok, r.message);
  REQUIRE(wait<Status>([&](auto cb) { r.value.history->flush(10s, cb); }, 15s).ok);
  std::vector<std::int64_t> ts;
  for (auto& row : all_rows(*r.value.sql, "TORN0000001")) ts.push_back(row.ts_ms);
  CHECK(ts == std::vector<std::int64_t>{100, 101, 102, 104});
}

TEST_CASE("history: a full spool refuses and counts instead of growing") {
  TempDir dir;
  IoThread io;
  storage::Config cfg = unreachable_mariadb();
  cfg.data_dir = dir.str();
  cfg.history_spool_limit = 10;
  auto r = storage::open(cfg, io.io(), logger());
  REQUIRE(r.ok);
  int ok = 0, refused = 0;
  for (int i = 0; i < 15; ++i) {
    auto st = wait<Status>([&](auto cb) { r.value.history->append({"FULL0000001", LockEvent::online, i, ""}, cb); });
    st.ok ? ++ok : ++refused;
  }
  CHECK(ok == 10);
  CHECK(refused == 5);
  CHECK(r.value.history->stats().rejected == 5);
}

TEST_CASE("history: the spool record format is pinned byte for byte") {
  // The spool outlives a Sakura version: a newer broker must read what an older one left.
  TempDir dir;
  IoThread io;
  {
    storage::Config cfg = unreachable_mariadb();
    cfg.data_dir = dir.str();
    auto r = storage::open(cfg, io.io(), logger());
    REQUIRE(r.ok);
    auto st = wait<Status>([&](auto cb) {
      r.value.history->append({"L0000000001", LockEvent::locked, 1700000000123, ""}, cb);
    });
    REQUIRE(st.ok);
  }
  std::ifstream in(dir.str() + "/history.spool", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const unsigned char expected[] = {
      0x1c, 0x00, 0x00, 0x00,                                         // payload length 28, u32 LE
      0xf2, 0x37, 0x11, 0x89,                                         // crc32 of the payload, u32 LE
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,                 // seq 1, u64 LE
      0x7b, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0x00, 0x00,                 // ts_ms 1700000000123, i64 LE
      0x02,                                                           // event: 0 online 1 offline 2 locked 3 unlocked
      'L',  '0',  '0',  '0',  '0',  '0',  '0',  '0',  '0', '0', '1',  // lockno, the rest of the payload
  };
  CHECK(bytes == std::string(reinterpret_cast<const char*>(expected), sizeof expected));

  std::ifstream state(dir.str() + "/history.spool.state");
  std::string key, value;
  state >> key >> value;
  CHECK(key == "node");
  CHECK(value.size() == 16);
  state >> key >> value;
  CHECK(key == "committed");
  CHECK(value == "0");
}
