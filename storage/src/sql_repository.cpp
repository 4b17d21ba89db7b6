#include "sql_repository.hpp"

#include <algorithm>
#include <limits>

#include "common/clock.hpp"

namespace storage::detail {
namespace {

const std::string& text(const Row& row, size_t i) {
  static const std::string empty;
  return row.at(i) ? *row[i] : empty;
}

std::int64_t number(const Row& row, size_t i) { return row.at(i) ? std::stoll(*row[i]) : 0; }

int clamp_limit(int limit) { return limit < 1 ? 1 : (limit > 1000 ? 1000 : limit); }

Binding binding_from(const Row& r) {
  Binding b;
  b.userno = text(r, 0);
  b.lockno = text(r, 1);
  b.morf = text(r, 2).empty() ? '?' : text(r, 2)[0];
  b.adate = text(r, 3);
  return b;
}

Device device_from(const Row& r) { return Device{text(r, 0), text(r, 1), text(r, 2), number(r, 3), number(r, 4)}; }

Firmware firmware_from(const Row& r) {
  return Firmware{text(r, 0), number(r, 1), text(r, 2), text(r, 3), number(r, 4)};
}

const char* const kBindingColumns = "SELECT userno, lockno, morf, adate FROM user2lock";
const char* const kDeviceColumns =
    "SELECT lockno, credential_hash, firmware_version, last_seen_ms, created_ms FROM devices";
const char* const kFirmwareColumns = "SELECT version, size, sha256, file, created_ms FROM firmware";

// Answers false instead of throwing when a unique key already holds the row.
bool insert_unless_duplicate(SqlSession& s, const std::string& sql, const Params& params) {
  try {
    s.exec(sql, params);
    return true;
  } catch (const SqlError& e) {
    if (e.kind == SqlError::Kind::duplicate_key) return false;
    throw;
  }
}

}  // namespace

SqlRepository::SqlRepository(int threads, common::WorkerPool<SqlSession>::Factory make_session)
    : pool_(common::PoolOptions{static_cast<unsigned>(std::max(threads, 1)), 0, common::AtStop::run_queued},
            std::move(make_session)) {}

template <class T, class Done>
void SqlRepository::run(Done done, std::function<T(SqlSession&)> work) {
  pool_.post([done = std::move(done), work = std::move(work)](SqlSession& s) {
    Result<T> result;
    try {
      s.ensure_ready();
      result = Result<T>::success(work(s));
    } catch (const std::exception& e) {  // SqlError, or a malformed number from a foreign row
      result = Result<T>::failure(e.what());
    }
    if (done) done(std::move(result));
  });
}

void SqlRepository::find_binding_by_user(std::string userno, Callback<std::optional<Binding>> done) {
  run<std::optional<Binding>>(std::move(done), [userno](SqlSession& s) -> std::optional<Binding> {
    auto r = s.exec(std::string(kBindingColumns) + " WHERE userno = ?", {userno});
    if (r.rows.empty()) return std::nullopt;
    return binding_from(r.rows[0]);
  });
}

void SqlRepository::find_bindings_by_lock(std::string lockno, Callback<std::vector<Binding>> done) {
  run<std::vector<Binding>>(std::move(done), [lockno](SqlSession& s) {
    auto r = s.exec(std::string(kBindingColumns) + " WHERE lockno = ? ORDER BY morf", {lockno});
    std::vector<Binding> out;
    for (const auto& row : r.rows) out.push_back(binding_from(row));
    return out;
  });
}

void SqlRepository::bind(Binding b, Callback<BindOutcome> done) {
  if (b.morf != 'm' && b.morf != 'f') {
    if (done) done(Result<BindOutcome>::failure("morf must be 'm' or 'f'"));
    return;
  }
  run<BindOutcome>(std::move(done), [b](SqlSession& s) {
    // The unique keys (userno) and (lockno, morf) enforce the rule even against a concurrent
    // bind from another broker; the lookup afterwards only names which rule refused.
    if (insert_unless_duplicate(s, "INSERT INTO user2lock (userno, lockno, morf, adate) VALUES (?, ?, ?, ?)",
                                {b.userno, b.lockno, std::string(1, b.morf), b.adate}))
      return BindOutcome::bound;
    auto r = s.exec("SELECT 1 FROM user2lock WHERE userno = ?", {b.userno});
    return r.rows.empty() ? BindOutcome::role_taken : BindOutcome::user_already_bound;
  });
}

void SqlRepository::unbind(std::string userno, Callback<bool> done) {
  run<bool>(std::move(done), [userno](SqlSession& s) {
    return s.exec("DELETE FROM user2lock WHERE userno = ?", {userno}).affected > 0;
  });
}

// Rows per INSERT statement: one round trip for many rows is what makes MariaDB keep up with a
// fleet (about 5x over row-at-a-time); the statement text is fixed so it is prepared once.
constexpr size_t kHistoryRowsPerStatement = 50;

std::string history_insert(Dialect dialect, size_t rows) {
  std::string sql = "INSERT INTO lockhistory (lockno, event, message, ts_ms, uid) VALUES ";
  for (size_t i = 0; i < rows; ++i) sql += i ? ", (?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?)";
  // Not INSERT IGNORE on MariaDB: that would also turn truncation and bad values into warnings.
  sql += dialect == Dialect::sqlite ? " ON CONFLICT (uid) DO NOTHING" : " ON DUPLICATE KEY UPDATE id = id";
  return sql;
}

void SqlRepository::append_history(std::vector<HistoryEvent> events, StatusCallback done) {
  run<bool>(std::move(done), [events = std::move(events)](SqlSession& s) {
    const std::string many = history_insert(s.dialect(), kHistoryRowsPerStatement);
    const std::string one = history_insert(s.dialect(), 1);
    Transaction tx(s);
    for (size_t i = 0; i < events.size();) {
      size_t n = events.size() - i >= kHistoryRowsPerStatement ? kHistoryRowsPerStatement : 1;
      Params params;
      params.reserve(n * 5);
      for (size_t j = i; j < i + n; ++j) {
        const auto& e = events[j];
        params.insert(params.end(),
                      {e.lockno, std::string(event_code(e.event)), std::string(event_text(e.event)), e.ts_ms, e.uid});
      }
      s.exec(n == 1 ? one : many, params);
      i += n;
    }
    tx.commit();
    return true;
  });
}

void SqlRepository::history_page(std::string lockno, std::int64_t before_id, int limit,
                                 Callback<std::vector<HistoryRow>> done) {
  if (before_id <= 0) before_id = std::numeric_limits<std::int64_t>::max();
  std::int64_t n = clamp_limit(limit);
  run<std::vector<HistoryRow>>(std::move(done), [lockno, before_id, n](SqlSession& s) {
    auto r = s.exec(
        "SELECT id, lockno, event, message, ts_ms FROM lockhistory WHERE lockno = ? AND id < ?"
        " ORDER BY id DESC LIMIT ?",
        {lockno, before_id, n});
    std::vector<HistoryRow> out;
    for (const auto& row : r.rows) {
      HistoryRow h;
      h.id = number(row, 0);
      h.lockno = text(row, 1);
      h.event = event_from_code(text(row, 2)).value_or(LockEvent::online);
      h.text = text(row, 3);
      h.ts_ms = number(row, 4);
      out.push_back(std::move(h));
    }
    return out;
  });
}

void SqlRepository::add_device(Device d, Callback<bool> done) {
  run<bool>(std::move(done), [d](SqlSession& s) {
    return insert_unless_duplicate(
        s,
        "INSERT INTO devices (lockno, credential_hash, firmware_version, last_seen_ms, created_ms)"
        " VALUES (?, ?, ?, ?, ?)",
        {d.lockno, d.credential_hash, d.firmware_version, d.last_seen_ms, common::unix_ms_now()});
  });
}

void SqlRepository::get_device(std::string lockno, Callback<std::optional<Device>> done) {
  run<std::optional<Device>>(std::move(done), [lockno](SqlSession& s) -> std::optional<Device> {
    auto r = s.exec(std::string(kDeviceColumns) + " WHERE lockno = ?", {lockno});
    if (r.rows.empty()) return std::nullopt;
    return device_from(r.rows[0]);
  });
}

void SqlRepository::list_devices(std::string after, int limit, Callback<std::vector<Device>> done) {
  std::int64_t n = clamp_limit(limit);
  run<std::vector<Device>>(std::move(done), [after, n](SqlSession& s) {
    auto r = s.exec(std::string(kDeviceColumns) + " WHERE lockno > ? ORDER BY lockno LIMIT ?", {after, n});
    std::vector<Device> out;
    for (const auto& row : r.rows) out.push_back(device_from(row));
    return out;
  });
}

void SqlRepository::delete_device(std::string lockno, Callback<bool> done) {
  run<bool>(std::move(done),
            [lockno](SqlSession& s) { return s.exec("DELETE FROM devices WHERE lockno = ?", {lockno}).affected > 0; });
}

void SqlRepository::set_device_credential(std::string lockno, std::string hash, Callback<bool> done) {
  run<bool>(std::move(done), [lockno, hash](SqlSession& s) {
    return s.exec("UPDATE devices SET credential_hash = ? WHERE lockno = ?", {hash, lockno}).affected > 0;
  });
}

void SqlRepository::set_device_firmware(std::string lockno, std::string version, Callback<bool> done) {
  run<bool>(std::move(done), [lockno, version](SqlSession& s) {
    return s.exec("UPDATE devices SET firmware_version = ? WHERE lockno = ?", {version, lockno}).affected > 0;
  });
}

void SqlRepository::touch_device(std::string lockno, std::int64_t seen_ms, Callback<bool> done) {
  run<bool>(std::move(done), [lockno, seen_ms](SqlSession& s) {
    return s.exec("UPDATE devices SET last_seen_ms = ? WHERE lockno = ?", {seen_ms, lockno}).affected > 0;
  });
}

void SqlRepository::add_firmware(Firmware f, Callback<bool> done) {
  run<bool>(std::move(done), [f](SqlSession& s) {
    return insert_unless_duplicate(
        s, "INSERT INTO firmware (version, size, sha256, file, created_ms) VALUES (?, ?, ?, ?, ?)",
        {f.version, f.size, f.sha256, f.file, common::unix_ms_now()});
  });
}

void SqlRepository::get_firmware(std::string version, Callback<std::optional<Firmware>> done) {
  run<std::optional<Firmware>>(std::move(done), [version](SqlSession& s) -> std::optional<Firmware> {
    auto r = s.exec(std::string(kFirmwareColumns) + " WHERE version = ?", {version});
    if (r.rows.empty()) return std::nullopt;
    return firmware_from(r.rows[0]);
  });
}

void SqlRepository::list_firmware(Callback<std::vector<Firmware>> done) {
  run<std::vector<Firmware>>(std::move(done), [](SqlSession& s) {
    auto r = s.exec(std::string(kFirmwareColumns) + " ORDER BY created_ms DESC, version DESC");
    std::vector<Firmware> out;
    for (const auto& row : r.rows) out.push_back(firmware_from(row));
    return out;
  });
}

void SqlRepository::schema_version(Callback<int> done) {
  run<int>(std::move(done), [](SqlSession& s) {
    auto r = s.exec("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    return static_cast<int>(number(r.rows.at(0), 0));
  });
}

}  // namespace storage::detail
