#pragma once
// Rows of the SQL tables (INTERFACES.md, SQL). Plain values, copied freely across threads.
#include <cstdint>
#include <optional>
#include <string>

namespace storage {

// user2lock: one row per user, at most one 'm' and one 'f' per lock.
struct Binding {
  std::string userno;  // WeChat OpenID
  std::string lockno;
  char morf = 'm';    // 'm' or 'f'
  std::string adate;  // bind date as the caller formats it (the old system: "YYYY-MM-DD")
};

enum class BindOutcome {
  bound,
  user_already_bound,  // this userno already has a row (unbind first)
  role_taken,          // the lock already has an owner with this morf
};

enum class LockEvent { online, offline, locked, unlocked };

// "online" / "offline" / "locked" / "unlocked": the code stored in lockhistory.event.
const char* event_code(LockEvent e);
// 设备上线 / 设备离线 / 上锁 / 开锁: the text the old mini-program shows (lockhistory.message).
const char* event_text(LockEvent e);
std::optional<LockEvent> event_from_code(const std::string& code);

struct HistoryEvent {
  std::string lockno;
  LockEvent event = LockEvent::online;
  std::int64_t ts_ms = 0;  // milliseconds since the Unix epoch
  // Unique id that makes a replayed write a no-op (set by the HistoryWriter's spool; callers
  // using Sql::append_history directly must fill it, e.g. with a random 32-hex-digit string).
  std::string uid;
};

struct HistoryRow {
  std::int64_t id = 0;  // insertion order; pass the last id of a page as `before_id` for the next
  std::string lockno;
  LockEvent event = LockEvent::online;
  std::string text;
  std::int64_t ts_ms = 0;
};

struct Device {
  std::string lockno;
  std::string credential_hash;    // never the plain password
  std::string firmware_version;   // empty until the lock reports one
  std::int64_t last_seen_ms = 0;  // 0 = never seen
  std::int64_t created_ms = 0;    // filled by the store on add
};

struct Firmware {
  std::string version;
  std::int64_t size = 0;
  std::string sha256;           // lowercase hex
  std::string file;             // path relative to node.data_dir
  std::int64_t created_ms = 0;  // filled by the store on add
};

}  // namespace storage
