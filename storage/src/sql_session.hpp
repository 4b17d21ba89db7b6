#pragma once
// One database connection as the repository sees it: prepared statements with positional
// parameters, results as strings. SqliteSession and MariadbSession implement it; the schema and
// the repository are written once on top. Used only on the worker thread that owns it.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace storage::detail {

enum class Dialect { sqlite, mariadb };

using SqlValue = std::variant<std::monostate, std::int64_t, std::string>;
using Params = std::vector<SqlValue>;
using Row = std::vector<std::optional<std::string>>;

struct QueryResult {
  std::vector<Row> rows;
  std::int64_t affected = 0;
  std::int64_t insert_id = 0;
};

// Thrown inside the worker only; the repository turns it into a Status before any callback.
struct SqlError : std::runtime_error {
  enum class Kind { other, duplicate_key, unavailable };
  Kind kind;
  SqlError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
};

class SqlSession {
 public:
  virtual ~SqlSession() = default;
  virtual Dialect dialect() const = 0;
  // Connects (or fails fast during a reconnect backoff) and migrates on first connect.
  virtual void ensure_ready() = 0;
  virtual QueryResult exec(const std::string& sql, const Params& params = {}) = 0;
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
};

// Rolls back unless committed, so an exception mid-transaction leaves nothing half-written.
class Transaction {
 public:
  explicit Transaction(SqlSession& s) : s_(s) { s_.begin(); }
  ~Transaction() {
    if (!done_) s_.rollback();
  }
  void commit() {
    s_.commit();
    done_ = true;
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

 private:
  SqlSession& s_;
  bool done_ = false;
};

}  // namespace storage::detail
