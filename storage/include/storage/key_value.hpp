#pragma once
// The Redis-shaped store that auth/ and lockrules/ use: credentials and ACLs in the "auth"
// database, lock status and unlock windows in the "lock" database (see INTERFACES.md, Redis).
//
// THREADING: every method may be called from any thread and returns at once; the callback runs
// later, exactly once, on a thread of the backend's choosing (the Redis backend's io_context
// thread or the embedded store's worker). Callers that need their own thread post back.
// Keys, fields and values are binary-safe: any byte sequence round-trips unchanged.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/result.hpp"

namespace storage {

// The two logical databases: redis.auth_db (default 0) and redis.lock_db (default 1).
enum class Db { auth, lock };

using Fields = std::vector<std::pair<std::string, std::string>>;  // hash field -> value

// One page of a key scan. `cursor` is opaque: pass it back for the next page; empty = the scan
// is complete. A page may be empty while the cursor is not (Redis filters after it walks).
struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};

// The most keys one scan call asks for: a page costs the store at most this much work.
inline constexpr std::size_t kMaxScanCount = 1000;

enum class PairOutcome {
  waiting,  // no window of the other owner was open; this owner's window is now open
  paired,   // the other owner's window was open and has been consumed: unlock now
};

class KeyValue {
 public:
  using StatusCallback = std::function<void(Status)>;
  template <class T>
  using Callback = std::function<void(Result<T>)>;

  virtual ~KeyValue() = default;

  // Shutdown, once the I/O loop the store answers on has stopped for good: drops work still in
  // flight without calling it back, so the callbacks (and the rules and sessions they hold) are
  // freed rather than kept in a cycle. Call from the thread that joined the loops, never while
  // one runs. Stores with nothing in flight on a loop need not override it.
  virtual void abandon() {}

  // HMGET: one entry per requested field, nullopt where the field (or the key) is missing.
  virtual void hmget(Db db, std::string key, std::vector<std::string> fields,
                     Callback<std::vector<std::optional<std::string>>> done) = 0;
  // HGETALL: empty when the key is missing. Order of fields is unspecified.
  virtual void hgetall(Db db, std::string key, Callback<Fields> done) = 0;
  // HSET of one or many fields; the key's expiry, if any, is kept.
  virtual void hset(Db db, std::string key, Fields fields, StatusCallback done) = 0;
  // Replaces the whole hash atomically (DEL + HSET + optional PEXPIRE as one step), so a reader
  // never sees a half-written credential or ACL. ttl 0 = no expiry.
  virtual void hreplace(Db db, std::string key, Fields fields, std::chrono::milliseconds ttl, StatusCallback done) = 0;
  // HDEL: answers how many fields were removed.
  virtual void hdel(Db db, std::string key, std::vector<std::string> fields, Callback<long long> done) = 0;
  // DEL of many keys: answers how many existed.
  virtual void del(Db db, std::vector<std::string> keys, Callback<long long> done) = 0;
  // SET key value [PX ttl]; ttl 0 = no expiry.
  virtual void set(Db db, std::string key, std::string value, std::chrono::milliseconds ttl, StatusCallback done) = 0;
  // GET: nullopt when missing. A hash under the key is an error ("WRONGTYPE ...").
  virtual void get(Db db, std::string key, Callback<std::optional<std::string>> done) = 0;
  virtual void exists(Db db, std::string key, Callback<bool> done) = 0;
  // PEXPIRE: answers false when the key does not exist.
  virtual void expire(Db db, std::string key, std::chrono::milliseconds ttl, Callback<bool> done) = 0;
  // PTTL: milliseconds left, -1 for a key without expiry, -2 for a missing key.
  virtual void pttl(Db db, std::string key, Callback<long long> done) = 0;
  // SCAN cursor MATCH <prefix>* COUNT count, never KEYS: one bounded page of the keys that begin
  // with `prefix` (taken literally: glob characters in it match themselves). `cursor` "" starts.
  // count is clamped to 1..kMaxScanCount. A key present for the whole scan is returned at least
  // once; one written or deleted during it may or may not be. For operators' tools, never the
  // broker's hot paths.
  virtual void scan(Db db, std::string prefix, std::string cursor, std::size_t count, Callback<ScanPage> done) = 0;

  // The unlock pairing, atomic across threads, connections and (with Redis) broker processes:
  // if the OTHER role's key "<lockno>_<other>" exists, delete it and answer paired; otherwise
  // set "<lockno>_<role>" with the window as expiry and answer waiting. role is 'm' or 'f'.
  // Always in the lock database.
  virtual void pair_unlock(std::string lockno, char role, std::chrono::milliseconds window,
                           Callback<PairOutcome> done) = 0;
};

}  // namespace storage
