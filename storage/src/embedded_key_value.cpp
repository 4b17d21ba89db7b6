#include "embedded_key_value.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "schema.hpp"
#include "sqlite_session.hpp"

#include "broker/log_text.hpp"
#include "common/clock.hpp"
#include "common/worker_pool.hpp"

namespace storage::detail {
namespace {

std::int64_t deadline(std::chrono::milliseconds ttl) {
  return ttl.count() > 0 ? common::unix_ms_now() + ttl.count() : 0;
}

const char* const kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";

// Expired keys are dropped when touched, and by a sweep at most this often.
constexpr std::int64_t kSweepEveryMs = 60'000;

}  // namespace

class EmbeddedKeyValue::State {
 public:
  struct Entry {
    bool is_hash = false;
    std::string value;
    std::unordered_map<std::string, std::string> hash;
    std::int64_t expires_ms = 0;  // 0 = never; Unix epoch ms so it survives a restart
  };

  State(const std::string& path, SyncPolicy sync, spdlog::logger& log) : db_(path, sync) {
    migrate(db_, &log, sqlite_backup_hint(path));
    std::int64_t now = common::unix_ms_now();
    for (auto& row : db_.exec("SELECT db, key, is_hash, value, expires_ms FROM kv_keys").rows) {
      Entry e;
      e.is_hash = *row[2] == "1";
      e.value = row[3].value_or("");
      e.expires_ms = std::stoll(*row[4]);
      if (e.expires_ms && e.expires_ms <= now) continue;
      maps_[index(*row[0])][*row[1]] = std::move(e);
    }
    for (auto& row : db_.exec("SELECT db, key, field, value FROM kv_fields").rows) {
      auto& m = maps_[index(*row[0])];
      auto it = m.find(*row[1]);
      if (it != m.end()) it->second.hash[*row[2]] = *row[3];
    }
    // Rows of keys that expired while we were down.
    Transaction tx(db_);
    db_.exec(
        "DELETE FROM kv_fields WHERE (db, key) IN (SELECT db, key FROM kv_keys"
        " WHERE expires_ms != 0 AND expires_ms <= ?)",
        {now});
    db_.exec("DELETE FROM kv_keys WHERE expires_ms != 0 AND expires_ms <= ?", {now});
    tx.commit();
    next_sweep_ms_ = now + kSweepEveryMs;
  }

  size_t key_count() const { return maps_[0].size() + maps_[1].size(); }

  // The live entry, or null; an expired entry is removed on the way.
  Entry* find(Db db, const std::string& key) {
    std::int64_t now = common::unix_ms_now();
    if (now >= next_sweep_ms_) sweep(now);
    auto& m = maps_[static_cast<int>(db)];
    auto it = m.find(key);
    if (it == m.end()) return nullptr;
    if (it->second.expires_ms && it->second.expires_ms <= now) {
      erase(db, key);
      return nullptr;
    }
    return &it->second;
  }

  bool erase(Db db, const std::string& key) {
    auto& m = maps_[static_cast<int>(db)];
    if (m.erase(key) == 0) return false;
    Transaction tx(db_);
    erase_rows(db, key);
    tx.commit();
    return true;
  }

  void put_string(Db db, const std::string& key, const std::string& value, std::int64_t expires) {
    Transaction tx(db_);
    erase_rows(db, key);
    db_.exec("INSERT INTO kv_keys (db, key, is_hash, value, expires_ms) VALUES (?, ?, 0, ?, ?)",
             {num(db), key, value, expires});
    tx.commit();
    Entry e;
    e.value = value;
    e.expires_ms = expires;
    maps_[static_cast<int>(db)][key] = std::move(e);
  }

  // HSET into a live hash or a new one; `replace` first drops whatever was there.
  Status put_fields(Db db, const std::string& key, const Fields& fields, bool replace, std::int64_t expires) {
    Entry* e = find(db, key);
    if (e && !e->is_hash && !replace) return Status::failure(kWrongType);
    if (fields.empty()) {
      if (replace && e) erase(db, key);
      return Status::success();
    }
    Transaction tx(db_);
    if (replace || !e) {
      erase_rows(db, key);
      db_.exec("INSERT INTO kv_keys (db, key, is_hash, value, expires_ms) VALUES (?, ?, 1, NULL, ?)",
               {num(db), key, replace || !e ? expires : e->expires_ms});
    }
    for (const auto& [f, v] : fields)
      db_.exec(
          "INSERT INTO kv_fields (db, key, field, value) VALUES (?, ?, ?, ?)"
          " ON CONFLICT (db, key, field) DO UPDATE SET value = excluded.value",
          {num(db), key, f, v});
    tx.commit();
    if (replace || !e) {
      Entry fresh;
      fresh.is_hash = true;
      fresh.expires_ms = expires;
      e = &(maps_[static_cast<int>(db)][key] = std::move(fresh));
    }
    for (const auto& [f, v] : fields) e->hash[f] = v;
    return Status::success();
  }

  long long drop_fields(Db db, const std::string& key, const std::vector<std::string>& fields) {
    Entry* e = find(db, key);
    if (!e || !e->is_hash) return 0;
    long long removed = 0;
    Transaction tx(db_);
    for (const auto& f : fields) {
      if (e->hash.erase(f) == 0) continue;
      ++removed;
      db_.exec("DELETE FROM kv_fields WHERE db = ? AND key = ? AND field = ?", {num(db), key, f});
    }
    // Like Redis, a hash with no fields left no longer exists.
    if (e->hash.empty()) {
      erase_rows(db, key);
      maps_[static_cast<int>(db)].erase(key);
    }
    tx.commit();
    return removed;
  }

  bool set_expiry(Db db, const std::string& key, std::int64_t expires) {
    Entry* e = find(db, key);
    if (!e) return false;
    db_.exec("UPDATE kv_keys SET expires_ms = ? WHERE db = ? AND key = ?", {expires, num(db), key});
    e->expires_ms = expires;
    return true;
  }

  // Up to `count` live keys beginning with `prefix` that sort after `after` (none: from the start),
  // in order, so the last one is the next page's start. The map is unordered: one pass over it
  // keeps the `count` smallest candidates in a bounded heap.
  std::vector<std::string> keys_after(Db db, const std::string& prefix, const std::optional<std::string>& after,
                                      std::size_t count) {
    std::int64_t now = common::unix_ms_now();
    std::vector<std::string> heap;  // max-heap of the smallest candidates so far
    for (const auto& [k, e] : maps_[static_cast<int>(db)]) {
      if (k.compare(0, prefix.size(), prefix) != 0 || (after && k <= *after)) continue;
      if (e.expires_ms && e.expires_ms <= now) continue;
      if (heap.size() == count) {
        if (k >= heap.front()) continue;
        std::pop_heap(heap.begin(), heap.end());
        heap.back() = k;
      } else {
        heap.push_back(k);
      }
      std::push_heap(heap.begin(), heap.end());
    }
    std::sort_heap(heap.begin(), heap.end());
    return heap;
  }

 private:
  static int index(const std::string& db) { return db == "1" ? 1 : 0; }
  static std::int64_t num(Db db) { return static_cast<std::int64_t>(db); }

  void erase_rows(Db db, const std::string& key) {
    db_.exec("DELETE FROM kv_fields WHERE db = ? AND key = ?", {num(db), key});
    db_.exec("DELETE FROM kv_keys WHERE db = ? AND key = ?", {num(db), key});
  }

  void sweep(std::int64_t now) {
    next_sweep_ms_ = now + kSweepEveryMs;
    for (Db db : {Db::auth, Db::lock}) {
      std::vector<std::string> dead;
      for (const auto& [k, e] : maps_[static_cast<int>(db)])
        if (e.expires_ms && e.expires_ms <= now) dead.push_back(k);
      for (const auto& k : dead) erase(db, k);
    }
  }

  SqliteSession db_;
  std::unordered_map<std::string, Entry> maps_[2];
  std::int64_t next_sweep_ms_ = 0;
};

struct EmbeddedKeyValue::Impl {
  std::shared_ptr<spdlog::logger> log;
  common::WorkerPool<State> pool;  // one thread owns the database; queued calls run at shutdown

  // Runs `work` on the worker; SqlError (disk full, I/O error) becomes a failed Result.
  template <class T, class Done, class Work>
  void run(Done done, Work work) {
    pool.post([done = std::move(done), work = std::move(work), log = log](State& s) mutable {
      Result<T> r;
      try {
        r = work(s);
      } catch (const std::exception& e) {
        log->error("embedded store: {}", broker::log_text(e.what()));
        r = Result<T>::failure(std::string("embedded store: ") + e.what());
      }
      if (done) done(std::move(r));
    });
  }
};

EmbeddedKeyValue::EmbeddedKeyValue(const std::string& path, SyncPolicy sync, std::shared_ptr<spdlog::logger> log) {
  // Loaded here, on the caller's thread, so a corrupt file fails open() instead of every call.
  auto state = std::make_shared<std::unique_ptr<State>>(std::make_unique<State>(path, sync, *log));
  log->info("embedded key-value store: {} keys loaded from {}", (*state)->key_count(), path);
  impl_.reset(new Impl{log, common::WorkerPool<State>(common::PoolOptions{1, 0, common::AtStop::run_queued},
                                                      [state] { return std::move(*state); })});
}

EmbeddedKeyValue::~EmbeddedKeyValue() = default;

void EmbeddedKeyValue::hmget(Db db, std::string key, std::vector<std::string> fields,
                             Callback<std::vector<std::optional<std::string>>> done) {
  using V = std::vector<std::optional<std::string>>;
  impl_->run<V>(std::move(done), [db, key, fields](State& s) {
    auto* e = s.find(db, key);
    if (e && !e->is_hash) return Result<V>::failure(kWrongType);
    V out;
    for (const auto& f : fields) {
      if (!e) {
        out.emplace_back();
        continue;
      }
      auto it = e->hash.find(f);
      out.push_back(it == e->hash.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    return Result<V>::success(std::move(out));
  });
}

void EmbeddedKeyValue::hgetall(Db db, std::string key, Callback<Fields> done) {
  impl_->run<Fields>(std::move(done), [db, key](State& s) {
    auto* e = s.find(db, key);
    if (e && !e->is_hash) return Result<Fields>::failure(kWrongType);
    Fields out;
    if (e) out.assign(e->hash.begin(), e->hash.end());
    return Result<Fields>::success(std::move(out));
  });
}

void EmbeddedKeyValue::hset(Db db, std::string key, Fields fields, StatusCallback done) {
  impl_->run<bool>(std::move(done), [db, key, fields](State& s) {
    Status st = s.put_fields(db, key, fields, false, 0);
    return st.ok ? Result<bool>::success(true) : Result<bool>::failure(st.message);
  });
}

void EmbeddedKeyValue::hreplace(Db db, std::string key, Fields fields, std::chrono::milliseconds ttl,
                                StatusCallback done) {
  impl_->run<bool>(std::move(done), [db, key, fields, ttl](State& s) {
    Status st = s.put_fields(db, key, fields, true, deadline(ttl));
    return st.ok ? Result<bool>::success(true) : Result<bool>::failure(st.message);
  });
}

void EmbeddedKeyValue::hdel(Db db, std::string key, std::vector<std::string> fields, Callback<long long> done) {
  impl_->run<long long>(std::move(done), [db, key, fields](State& s) {
    auto* e = s.find(db, key);
    if (e && !e->is_hash) return Result<long long>::failure(kWrongType);
    return Result<long long>::success(s.drop_fields(db, key, fields));
  });
}

void EmbeddedKeyValue::del(Db db, std::vector<std::string> keys, Callback<long long> done) {
  impl_->run<long long>(std::move(done), [db, keys](State& s) {
    long long n = 0;
    for (const auto& k : keys)
      if (s.find(db, k) && s.erase(db, k)) ++n;
    return Result<long long>::success(n);
  });
}

void EmbeddedKeyValue::set(Db db, std::string key, std::string value, std::chrono::milliseconds ttl,
                           StatusCallback done) {
  impl_->run<bool>(std::move(done), [db, key, value, ttl](State& s) {
    s.put_string(db, key, value, deadline(ttl));
    return Result<bool>::success(true);
  });
}

void EmbeddedKeyValue::get(Db db, std::string key, Callback<std::optional<std::string>> done) {
  using V = std::optional<std::string>;
  impl_->run<V>(std::move(done), [db, key](State& s) {
    auto* e = s.find(db, key);
    if (!e) return Result<V>::success(std::nullopt);
    if (e->is_hash) return Result<V>::failure(kWrongType);
    return Result<V>::success(e->value);
  });
}

void EmbeddedKeyValue::exists(Db db, std::string key, Callback<bool> done) {
  impl_->run<bool>(std::move(done), [db, key](State& s) { return Result<bool>::success(s.find(db, key) != nullptr); });
}

void EmbeddedKeyValue::expire(Db db, std::string key, std::chrono::milliseconds ttl, Callback<bool> done) {
  impl_->run<bool>(std::move(done), [db, key, ttl](State& s) {
    if (ttl.count() <= 0) {  // Redis deletes a key given a non-positive expiry
      bool had = s.find(db, key) != nullptr;
      if (had) s.erase(db, key);
      return Result<bool>::success(had);
    }
    return Result<bool>::success(s.set_expiry(db, key, deadline(ttl)));
  });
}

void EmbeddedKeyValue::pttl(Db db, std::string key, Callback<long long> done) {
  impl_->run<long long>(std::move(done), [db, key](State& s) {
    auto* e = s.find(db, key);
    if (!e) return Result<long long>::success(-2);
    if (!e->expires_ms) return Result<long long>::success(-1);
    return Result<long long>::success(std::max<std::int64_t>(0, e->expires_ms - common::unix_ms_now()));
  });
}

void EmbeddedKeyValue::scan(Db db, std::string prefix, std::string cursor, std::size_t count, Callback<ScanPage> done) {
  count = std::clamp<std::size_t>(count, 1, kMaxScanCount);
  impl_->run<ScanPage>(std::move(done), [db, prefix, cursor, count](State& s) {
    // The cursor is "k" + the last key returned (a key may be empty; the cursor never is).
    if (!cursor.empty() && cursor[0] != 'k') return Result<ScanPage>::failure("invalid scan cursor");
    ScanPage page;
    std::optional<std::string> after;
    if (!cursor.empty()) after = cursor.substr(1);
    page.keys = s.keys_after(db, prefix, after, count);
    if (page.keys.size() == count) page.cursor = "k" + page.keys.back();
    return Result<ScanPage>::success(std::move(page));
  });
}

void EmbeddedKeyValue::pair_unlock(std::string lockno, char role, std::chrono::milliseconds window,
                                   Callback<PairOutcome> done) {
  if (role != 'm' && role != 'f') {
    if (done) done(Result<PairOutcome>::failure("role must be 'm' or 'f'"));
    return;
  }
  impl_->run<PairOutcome>(std::move(done), [lockno, role, window](State& s) {
    std::string other = lockno + '_' + (role == 'm' ? 'f' : 'm');
    if (s.find(Db::lock, other)) {
      s.erase(Db::lock, other);
      return Result<PairOutcome>::success(PairOutcome::paired);
    }
    s.put_string(Db::lock, lockno + '_' + role, "1", deadline(window));
    return Result<PairOutcome>::success(PairOutcome::waiting);
  });
}

}  // namespace storage::detail
