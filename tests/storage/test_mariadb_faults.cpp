// MariaDB stopped (SIGKILL) while lock events keep arriving: they wait in the spool, calls fail
// fast instead of hanging, and after a restart every event is present exactly once, in order.
#include <set>

#include "private_server.hpp"

using namespace storage_test;
using storage::HistoryRow;
using storage::LockEvent;
using storage::Result;
using storage::Status;

TEST_CASE("mariadb faults: stopped while events arrive, restarted, every event exactly once") {
  if (!have_binary("mariadbd") || !have_binary("mariadb-install-db")) {
    SAKURA_SERVICE_MISSING("mariadb-server not installed");
    return;
  }
  TempDir dir;
  PrivateServer db("mariadb", dir.str() + "/mariadb");
  REQUIRE(db.start());

  storage::Config cfg;
  cfg.sql.backend = storage::SqlBackend::mariadb;
  cfg.sql.port = static_cast<std::uint16_t>(db.port());
  cfg.sql.password = "private";
  cfg.sql.database = "sakura_test_" + random_hex(8);
  cfg.sql.connect_timeout = 1000ms;
  cfg.sql.reconnect_min = 50ms;
  cfg.sql.reconnect_max = 300ms;
  auto o = open_backend("mariadb", cfg);
  auto& history = *o->s.history;
  auto& sql = *o->s.sql;
  const std::string lock = "FAULT000001";
  int next_ts = 0;
  auto send = [&](int count) {
    for (int i = 0; i < count; ++i) {
      auto st = wait<Status>([&](auto cb) { history.append({lock, LockEvent::locked, next_ts++, ""}, cb); });
      REQUIRE_MESSAGE(st.ok, st.message);
    }
  };

  send(200);
  REQUIRE(wait<Status>([&](auto cb) { history.flush(10s, cb); }, 15s).ok);

  db.stop();
  send(300);  // acknowledged by the spool although the database is gone
  CHECK(eventually([&] { return history.stats().failures > 0; }));
  CHECK(history.stats().pending > 0);

  // Other repository calls fail, and quickly (at most one connect timeout, then fail-fast).
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto r = wait<Result<std::optional<storage::Binding>>>([&](auto cb) { sql.find_binding_by_user("u", cb); });
    CHECK_FALSE(r.ok);
    CHECK(std::chrono::steady_clock::now() - start < 2500ms);
  }
  send(100);

  REQUIRE(db.start());  // same data dir and port
  auto flushed = wait<Status>([&](auto cb) { history.flush(30s, cb); }, 40s);
  REQUIRE_MESSAGE(flushed.ok, flushed.message);

  std::vector<HistoryRow> rows;
  std::int64_t before = 0;
  for (;;) {
    auto page = wait<Result<std::vector<HistoryRow>>>([&](auto cb) { sql.history_page(lock, before, 1000, cb); });
    REQUIRE_MESSAGE(page.ok, page.message);
    if (page.value.empty()) break;
    before = page.value.back().id;
    rows.insert(rows.end(), page.value.begin(), page.value.end());
  }
  REQUIRE(rows.size() == 600);
  std::reverse(rows.begin(), rows.end());
  for (int i = 0; i < 600; ++i) {
    if (rows[i].ts_ms != i) {
      FAIL("row " << i << " has ts " << rows[i].ts_ms);
    }
  }
  auto stats = history.stats();
  CHECK(stats.written == 600);
  CHECK(stats.pending == 0);
  MESSAGE("failed write attempts while down: " << stats.failures);
}
