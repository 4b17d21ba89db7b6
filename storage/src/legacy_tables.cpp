// Converting the tables the old system's Flask services left in MariaDB (docs/migration.md).
//
// The old `lockhistory` held the lock number, the text the mini-program shows and a time, with
// no event code and no uid, so Sakura's inserts fail on it. The old `user2lock` had Sakura's
// four columns but no unique keys (one user twice, two `m` owners of a lock) and a
// case-insensitive collation. Both are converted the same way: Sakura's table is created under a
// temporary name, every old row is copied into it in one transaction, and the two are swapped by
// an atomic rename, so the old table survives beside it as `<table>_v0` for a rollback.
//
// Identifiers cannot be placeholders, so only names from the candidate lists below (never a name
// read from the database) go into SQL text; every value is a parameter.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "broker/log_text.hpp"
#include "schema.hpp"
#include "storage/records.hpp"

namespace storage::detail {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<std::string> columns(SqlSession& s, const std::string& table) {
  auto r = s.dialect() == Dialect::sqlite
               ? s.exec("SELECT name FROM pragma_table_info(?)", {table})
               : s.exec(
                     "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                     " AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                     {table});
  std::vector<std::string> out;
  for (auto& row : r.rows)
    if (row.at(0)) out.push_back(lower(*row[0]));
  return out;
}

bool has(const std::vector<std::string>& cols, const char* name) {
  return std::find(cols.begin(), cols.end(), name) != cols.end();
}

// The first candidate the table has, as our own constant.
std::optional<std::string> pick(const std::vector<std::string>& cols, std::initializer_list<const char*> candidates) {
  for (const char* c : candidates)
    if (has(cols, c)) return std::string(c);
  return std::nullopt;
}

// The table's own column names, for a message: escaped, as they are the database's text.
std::string join(const std::vector<std::string>& cols) {
  std::string out;
  for (auto& c : cols) out += (out.empty() ? "" : ", ") + broker::log_text(c);
  return out;
}

bool table_exists(SqlSession& s, const std::string& table) {
  auto r = s.dialect() == Dialect::sqlite
               ? s.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {table})
               : s.exec("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                        {table});
  return !r.rows.empty();
}

std::int64_t count(SqlSession& s, const std::string& sql, const Params& params = {}) {
  auto r = s.exec(sql, params);
  return r.rows.empty() || !r.rows[0].at(0) ? 0 : std::stoll(*r.rows[0][0]);
}

std::string q(Dialect d, const std::string& name) { return d == Dialect::sqlite ? '"' + name + '"' : '`' + name + '`'; }

[[noreturn]] void refuse(const std::string& why) { throw SqlError(SqlError::Kind::other, why); }

// Swaps Sakura's layout in for `table`, keeping the old one as `<table>_v0`. `copy` is an
// INSERT ... SELECT from `{src}` (replaced by the table the old rows are read from) into `{dst}`.
void replace_table(SqlSession& s, const std::string& table, std::string (*ddl)(Dialect, const std::string&, bool),
                   const std::string& copy, const Params& params) {
  const std::string kept = table + "_v0", fresh = table + "_converting";
  if (table_exists(s, kept))
    refuse(kept + " already exists (left by an earlier conversion?): rename or drop it, then run again");
  auto fill = [&](const std::string& src, const std::string& dst) {
    std::string sql = copy;
    sql.replace(sql.find("{dst}"), 5, dst);
    sql.replace(sql.find("{src}"), 5, src);
    s.exec(sql, params);
  };
  if (s.dialect() == Dialect::sqlite) {
    // SQLite's DDL is transactional: the whole swap commits or nothing does.
    Transaction tx(s);
    if (table == "lockhistory") s.exec("DROP INDEX IF EXISTS ix_lockhistory_lock");  // names are per file
    s.exec("ALTER TABLE " + table + " RENAME TO " + kept);
    s.exec(ddl(Dialect::sqlite, table, false));
    if (table == "lockhistory") s.exec(kSqliteLockhistoryIndex);
    fill(kept, table);
    tx.commit();
    return;
  }
  // MariaDB commits at every DDL statement: the copy is one transaction into a table nobody
  // reads yet, and RENAME TABLE swaps both names atomically.
  s.exec("DROP TABLE IF EXISTS " + fresh);
  s.exec(ddl(Dialect::mariadb, fresh, false));
  {
    Transaction tx(s);
    fill(table, fresh);
    tx.commit();
  }
  s.exec("RENAME TABLE " + table + " TO " + kept + ", " + fresh + " TO " + table);
}

// A time column of the old table as Unix milliseconds: integers and decimals in seconds (below
// 10^11, i.e. before 1973 if they were milliseconds) or milliseconds, and dates as the database
// reads them (MariaDB in its time zone, SQLite as UTC). Unreadable times become 0.
std::string millis(Dialect d, const std::string& c) {
  if (d == Dialect::mariadb)
    return "(CASE WHEN CAST(" + c +
           " AS CHAR) REGEXP '^[0-9]+([.][0-9]*)?$' THEN"
           " (CASE WHEN CAST(" +
           c + " AS DECIMAL(24,3)) < 100000000000 THEN FLOOR(CAST(" + c +
           " AS DECIMAL(24,3)) * 1000) ELSE FLOOR(CAST(" + c +
           " AS DECIMAL(24,3))) END)"
           " ELSE COALESCE(FLOOR(UNIX_TIMESTAMP(" +
           c + ") * 1000), 0) END)";
  return "(CASE WHEN typeof(" + c + ") IN ('integer', 'real') OR (typeof(" + c + ") = 'text' AND " + c + " <> '' AND " +
         c + " NOT GLOB '*[^0-9.]*') THEN (CASE WHEN CAST(" + c + " AS REAL) < 100000000000 THEN CAST(CAST(" + c +
         " AS REAL) * 1000 AS INTEGER) ELSE CAST(" + c + " AS INTEGER) END) ELSE COALESCE(CAST(strftime('%s', " + c +
         ") AS INTEGER) * 1000, 0) END)";
}

constexpr LockEvent kEvents[] = {LockEvent::online, LockEvent::offline, LockEvent::locked, LockEvent::unlocked};

// CASE over the old text: the mini-program's texts and Sakura's own codes map to the event code,
// anything else to '' (kept, shown with its text). Parameters: 16 values.
std::string event_case(const std::string& text, Params& params) {
  std::string sql = "(CASE TRIM(" + text + ")";
  for (LockEvent e : kEvents)
    for (const char* known : {event_text(e), event_code(e)}) {
      sql += " WHEN ? THEN ?";
      params.push_back(std::string(known));
      params.push_back(std::string(event_code(e)));
    }
  return sql + " ELSE '' END)";
}

}  // namespace

std::string convert_old_lockhistory(SqlSession& s, bool dry_run) {
  const Dialect d = s.dialect();
  auto cols = columns(s, "lockhistory");
  if (cols.empty() || has(cols, "uid")) return "";
  auto text = pick(cols, {"message", "msg", "text", "content", "info", "status", "statu", "event"});
  auto time = pick(cols, {"ts_ms", "time", "ts", "timestamp", "htime", "ltime", "ctime", "create_time", "created",
                          "datetime", "date", "adate"});
  if (!has(cols, "lockno") || !text || !time)
    refuse("lockhistory has columns (" + join(cols) + "), not lockno, a text and a time");
  const std::string t = q(d, *text), ts = millis(d, q(d, *time));
  const std::string order = ts + (has(cols, "id") ? ", " + q(d, "id") : "");

  Params event_params;
  const std::string event = event_case(t, event_params);
  const std::int64_t rows = count(s, "SELECT COUNT(*) FROM lockhistory");
  const std::int64_t other = count(s, "SELECT COUNT(*) FROM lockhistory WHERE " + event + " = ''", event_params);
  std::string summary = "lockhistory: copy " + std::to_string(rows) + " rows of the old layout (lockno, " + *text +
                        ", " + *time + ") into Sakura's, keeping the old table as lockhistory_v0";
  if (other) summary += "; " + std::to_string(other) + " of them have another text and keep it with no event code";
  if (dry_run) return summary;

  // Old rows get ids below every new one, in time order, and uids that no spool can issue
  // (the spool's are hex).
  const std::string uid =
      d == Dialect::sqlite
          ? "'legacy' || substr('00000000000000000000000000' || ROW_NUMBER() OVER (ORDER BY " + order + "), -26)"
          : "CONCAT('legacy', LPAD(ROW_NUMBER() OVER (ORDER BY " + order + "), 26, '0'))";
  const std::string copy =
      "INSERT INTO {dst} (lockno, event, message, ts_ms, uid) SELECT SUBSTR(COALESCE(lockno, ''), 1, 64), " + event +
      ", SUBSTR(COALESCE(" + t + ", ''), 1, 32), " + ts + ", " + uid + " FROM {src} ORDER BY " + order;
  replace_table(s, "lockhistory", lockhistory_ddl, copy, event_params);
  return summary;
}

std::string convert_old_user2lock(SqlSession& s, bool dry_run) {
  const Dialect d = s.dialect();
  auto cols = columns(s, "user2lock");
  if (cols.empty()) return "";
  std::int64_t unique_keys =
      d == Dialect::sqlite
          ? count(s, "SELECT COUNT(*) FROM pragma_index_list('user2lock') WHERE \"unique\" = 1 AND origin = 'u'")
          : count(s,
                  "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
                  " AND TABLE_NAME = 'user2lock' AND INDEX_NAME IN ('uq_user2lock_user', 'uq_user2lock_role')");
  if (has(cols, "id") && unique_keys >= 2) return "";
  for (const char* c : {"userno", "lockno", "morf", "adate"})
    if (!has(cols, c)) refuse("user2lock has columns (" + join(cols) + "), without " + c);

  // Sakura's keys compare bytes; the old collation may have ignored case.
  const std::string bin = d == Dialect::mariadb ? "BINARY " : "";
  const std::int64_t rows = count(s, "SELECT COUNT(*) FROM user2lock");
  const std::int64_t users_twice = count(s, "SELECT COUNT(*) FROM (SELECT " + bin + "userno FROM user2lock GROUP BY " +
                                                bin + "userno HAVING COUNT(*) > 1) t");
  const std::int64_t roles_twice =
      count(s, "SELECT COUNT(*) FROM (SELECT " + bin + "lockno, " + bin + "morf FROM user2lock GROUP BY " + bin +
                   "lockno, " + bin + "morf HAVING COUNT(*) > 1) t");
  std::string summary = "user2lock: copy " + std::to_string(rows) +
                        " bindings into Sakura's layout (unique user, unique owner per role), keeping the old"
                        " table as user2lock_v0";
  if (users_twice || roles_twice) {
    // Short enough for one log line; docs/migration.md has the queries that find the rows.
    std::string why = "user2lock: " + std::to_string(users_twice) + " users are bound more than once and " +
                      std::to_string(roles_twice) + " lock roles are held by more than one user";
    if (dry_run) return summary + "; BLOCKED: " + why + "; keep one row of each (docs/migration.md)";
    refuse(why + "; nothing changed");
  }
  if (dry_run) return summary;
  const std::string adate = d == Dialect::sqlite ? "CAST(adate AS TEXT)" : "CAST(adate AS CHAR)";
  const std::string copy =
      "INSERT INTO {dst} (userno, lockno, morf, adate) SELECT COALESCE(userno, ''),"
      " COALESCE(lockno, ''), SUBSTR(COALESCE(morf, ''), 1, 1), SUBSTR(COALESCE(" +
      adate + ", ''), 1, 32) FROM {src} ORDER BY " + (has(cols, "id") ? "id" : "adate");
  replace_table(s, "user2lock", user2lock_ddl, copy, {});
  return summary;
}

}  // namespace storage::detail
