#include "mariadb_session.hpp"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <spdlog/spdlog.h>
#include "broker/log_text.hpp"
#include "schema.hpp"

#include <vector>

namespace storage::detail {
namespace {

using Clock = std::chrono::steady_clock;

// After this long unused, a connection is pinged before use: the server may have dropped it
// (wait_timeout), and a write must not be sent on a socket that is already dead.
constexpr auto kPingAfterIdle = std::chrono::seconds(30);

bool connection_error(unsigned int err) {
  return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST || err == CR_CONNECTION_ERROR ||
         err == CR_CONN_HOST_ERROR || err == ER_CONNECTION_KILLED || err == ER_SERVER_SHUTDOWN ||
         err == CR_COMMANDS_OUT_OF_SYNC;
}

// The database name goes into CREATE DATABASE, where no placeholder is allowed.
bool plain_identifier(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return false;
  return true;
}

unsigned int seconds_ceil(std::chrono::milliseconds d) { return static_cast<unsigned int>((d.count() + 999) / 1000); }

}  // namespace

void init_mariadb_library() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

MariadbSession::MariadbSession(SqlConfig config, std::shared_ptr<MigrationGate> gate,
                               std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)), gate_(std::move(gate)), log_(std::move(log)), backoff_(config_.reconnect_min) {}

MariadbSession::~MariadbSession() { disconnect(); }

std::unique_ptr<MariadbSession> MariadbSession::for_migration(const SqlConfig& config,
                                                              std::shared_ptr<spdlog::logger> log) {
  SqlConfig slow = config;
  slow.io_timeout = config.migration_io_timeout;
  auto open_gate = std::make_shared<MigrationGate>();
  open_gate->done = true;
  auto s = std::make_unique<MariadbSession>(slow, open_gate, std::move(log));
  s->ensure_ready();
  return s;
}

void MariadbSession::disconnect() {
  for (auto& [sql, stmt] : statements_) mysql_stmt_close(stmt);
  statements_.clear();
  if (conn_) mysql_close(conn_);
  conn_ = nullptr;
}

// `message` is taken by value: it usually points into conn_, which disconnect() frees.
void MariadbSession::fail(const std::string& context, unsigned int err, std::string message) {
  if (connection_error(err)) {
    disconnect();  // the next call reconnects (after the backoff, if that fails too)
    throw SqlError(SqlError::Kind::unavailable, "mariadb: " + context + ": " + message);
  }
  throw SqlError(err == ER_DUP_ENTRY ? SqlError::Kind::duplicate_key : SqlError::Kind::other,
                 "mariadb: " + context + ": " + message);
}

void MariadbSession::ensure_ready() {
  if (conn_ && Clock::now() - last_used_ > kPingAfterIdle && mysql_ping(conn_) != 0) disconnect();
  if (!conn_) {
    if (Clock::now() < next_attempt_)
      throw SqlError(SqlError::Kind::unavailable, "mariadb unavailable (waiting to reconnect)");
    try {
      connect();
      backoff_ = config_.reconnect_min;
      if (down_logged_) log_->info("mariadb: reconnected to {}", config_.database);
      down_logged_ = false;
    } catch (const SqlError& e) {
      disconnect();
      next_attempt_ = Clock::now() + backoff_;
      backoff_ = std::min(backoff_ * 2, config_.reconnect_max);
      if (!down_logged_) log_->warn("{}; retrying with backoff", broker::log_text(e.what()));
      down_logged_ = true;
      throw;
    }
  }
  last_used_ = Clock::now();
}

void MariadbSession::connect() {
  if (!plain_identifier(config_.database))
    throw SqlError(SqlError::Kind::other, "sql.database must be letters, digits, _ or $");
  conn_ = mysql_init(nullptr);
  if (!conn_) throw SqlError(SqlError::Kind::unavailable, "mariadb: out of memory");
  unsigned int connect_s = seconds_ceil(config_.connect_timeout);
  unsigned int io_s = seconds_ceil(config_.io_timeout);
  mysql_optionsv(conn_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
  mysql_optionsv(conn_, MYSQL_OPT_READ_TIMEOUT, &io_s);
  mysql_optionsv(conn_, MYSQL_OPT_WRITE_TIMEOUT, &io_s);
  mysql_optionsv(conn_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // FOUND_ROWS: an UPDATE that matches a row counts it even when the value did not change.
  if (!mysql_real_connect(conn_, config_.host.c_str(), config_.user.c_str(), config_.password.c_str(), nullptr,
                          config_.port, config_.socket.empty() ? nullptr : config_.socket.c_str(), CLIENT_FOUND_ROWS)) {
    throw SqlError(SqlError::Kind::unavailable, std::string("mariadb: connect: ") + mysql_error(conn_));
  }
  // Creating the database is a convenience for a fresh install; without the privilege it may
  // already exist, which select_db then tells.
  std::string create =
      "CREATE DATABASE IF NOT EXISTS `" + config_.database + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci";
  mysql_real_query(conn_, create.c_str(), create.size());
  if (mysql_select_db(conn_, config_.database.c_str()) != 0)
    throw SqlError(SqlError::Kind::unavailable, std::string("mariadb: use database: ") + mysql_error(conn_));
  std::lock_guard<std::mutex> lock(gate_->mu);
  if (!gate_->done) {
    // On a connection of its own with the migration's io timeout; this one keeps the short one.
    migrate(*for_migration(config_, log_), log_.get(), backup_hint(config_));
    gate_->done = true;
    log_->info("mariadb: schema ready in {}", config_.database);
  }
}

MYSQL_STMT* MariadbSession::prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  MYSQL_STMT* stmt = mysql_stmt_init(conn_);
  if (!stmt) fail("prepare", mysql_errno(conn_), mysql_error(conn_));
  if (mysql_stmt_prepare(stmt, sql.c_str(), sql.size()) != 0) {
    unsigned int err = mysql_stmt_errno(stmt);
    std::string msg = mysql_stmt_error(stmt);
    mysql_stmt_close(stmt);
    fail("prepare", err, msg);
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

QueryResult MariadbSession::exec(const std::string& sql, const Params& params) {
  if (!conn_) throw SqlError(SqlError::Kind::unavailable, "mariadb: not connected");
  MYSQL_STMT* stmt = prepare(sql);
  std::vector<MYSQL_BIND> in(params.size());
  std::vector<long long> ints(params.size());
  std::vector<unsigned long> lengths(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    in[i] = MYSQL_BIND{};
    if (auto* n = std::get_if<std::int64_t>(&params[i])) {
      ints[i] = *n;
      in[i].buffer_type = MYSQL_TYPE_LONGLONG;
      in[i].buffer = &ints[i];
    } else if (auto* s = std::get_if<std::string>(&params[i])) {
      lengths[i] = s->size();
      in[i].buffer_type = MYSQL_TYPE_STRING;
      in[i].buffer = const_cast<char*>(s->data());
      in[i].buffer_length = s->size();
      in[i].length = &lengths[i];
    } else {
      in[i].buffer_type = MYSQL_TYPE_NULL;
    }
  }
  if (!in.empty() && mysql_stmt_bind_param(stmt, in.data()))
    fail("bind", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
  if (mysql_stmt_execute(stmt)) fail("execute", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));

  QueryResult result;
  if (MYSQL_RES* meta = mysql_stmt_result_metadata(stmt)) {
    unsigned int n = mysql_num_fields(meta);
    mysql_free_result(meta);
    // Every column is fetched as text; a value longer than the buffer is fetched again whole.
    std::vector<MYSQL_BIND> out(n);
    std::vector<std::string> buffers(n, std::string(256, '\0'));
    std::vector<unsigned long> lens(n);
    std::vector<my_bool> nulls(n), errors(n);
    for (unsigned int c = 0; c < n; ++c) {
      out[c] = MYSQL_BIND{};
      out[c].buffer_type = MYSQL_TYPE_STRING;
      out[c].buffer = buffers[c].data();
      out[c].buffer_length = buffers[c].size();
      out[c].length = &lens[c];
      out[c].is_null = &nulls[c];
      out[c].error = &errors[c];
    }
    if (mysql_stmt_bind_result(stmt, out.data())) fail("bind result", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
    for (;;) {
      int rc = mysql_stmt_fetch(stmt);
      if (rc == MYSQL_NO_DATA) break;
      if (rc == 1) {
        unsigned int err = mysql_stmt_errno(stmt);
        std::string msg = mysql_stmt_error(stmt);
        mysql_stmt_free_result(stmt);
        fail("fetch", err, msg);
      }
      Row row;
      for (unsigned int c = 0; c < n; ++c) {
        if (nulls[c]) {
          row.emplace_back();
        } else if (lens[c] > buffers[c].size()) {
          std::string whole(lens[c], '\0');
          MYSQL_BIND b{};
          unsigned long got = 0;
          b.buffer_type = MYSQL_TYPE_STRING;
          b.buffer = whole.data();
          b.buffer_length = whole.size();
          b.length = &got;
          mysql_stmt_fetch_column(stmt, &b, c, 0);
          row.emplace_back(std::move(whole));
        } else {
          row.emplace_back(std::string(buffers[c].data(), lens[c]));
        }
      }
      result.rows.push_back(std::move(row));
    }
    mysql_stmt_free_result(stmt);
  }
  result.affected = static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt));
  result.insert_id = static_cast<std::int64_t>(mysql_stmt_insert_id(stmt));
  return result;
}

void MariadbSession::begin() {
  if (!conn_) throw SqlError(SqlError::Kind::unavailable, "mariadb: not connected");
  if (mysql_autocommit(conn_, 0)) fail("begin", mysql_errno(conn_), mysql_error(conn_));
}

void MariadbSession::commit() {
  if (mysql_commit(conn_)) fail("commit", mysql_errno(conn_), mysql_error(conn_));
  mysql_autocommit(conn_, 1);
}

void MariadbSession::rollback() noexcept {
  if (!conn_) return;
  mysql_rollback(conn_);
  mysql_autocommit(conn_, 1);
}

}  // namespace storage::detail
