// sakura-ctl user list. Listing needs a key scan, which storage::KeyValue does not offer (the
// broker never scans), so this reads the backends directly: SCAN on Redis, and on the embedded
// backend the kv_keys table of <node.data_dir>/sakura.db, read-only (the broker writes through
// to it, so it is current even while the broker runs). That table is storage/'s schema
// (storage/src/schema.cpp): keep the two in step.
#include <hiredis/hiredis.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "ctl.hpp"

namespace ctl {

namespace {

std::string glob_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> redis_keys(const app::Config& c, const std::string& prefix) {
  const auto server = c.str("redis.server");
  const auto colon = server.rfind(':');
  timeval timeout{5, 0};
  std::unique_ptr<redisContext, void (*)(redisContext*)> r(
      redisConnectWithTimeout(server.substr(0, colon).c_str(), std::stoi(server.substr(colon + 1)), timeout),
      redisFree);
  if (!r || r->err) throw Failure("cannot reach Redis at " + server);
  auto command = [&](std::vector<std::string> argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (auto& a : argv) ptrs.push_back(a.data()), lens.push_back(a.size());
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(r.get(), static_cast<int>(argv.size()), ptrs.data(), lens.data()));
    if (!reply) throw Failure("Redis: connection lost");
    std::unique_ptr<redisReply, void (*)(void*)> owned(reply, freeReplyObject);
    if (reply->type == REDIS_REPLY_ERROR) throw Failure("Redis: " + std::string(reply->str, reply->len));
    return owned;
  };
  if (c.has("redis.password")) command({"AUTH", c.str("redis.password")});
  command({"SELECT", std::to_string(c.integer("redis.auth_db"))});
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    auto reply = command({"SCAN", cursor, "MATCH", glob_escape(prefix) + "*", "COUNT", "1000"});
    cursor.assign(reply->element[0]->str, reply->element[0]->len);
    auto* batch = reply->element[1];
    for (size_t i = 0; i < batch->elements; ++i)
      keys.emplace_back(batch->element[i]->str, batch->element[i]->len);
  } while (cursor != "0");
  return keys;
}

std::vector<std::string> embedded_keys(const app::Config& c, const std::string& prefix) {
  auto path = (std::filesystem::path(c.str("node.data_dir")) / "sakura.db").string();
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(raw);
    throw Failure("cannot open " + path);
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  sqlite3_busy_timeout(db.get(), 5000);
  const char* sql =
      "SELECT key FROM kv_keys WHERE db = 0 AND substr(key, 1, ?1) = ?2"
      " AND (expires_ms = 0 OR expires_ms > ?3)";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql, -1, &stmt, nullptr) != SQLITE_OK)
    throw Failure(std::string("embedded store: ") + sqlite3_errmsg(db.get()));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st(stmt, sqlite3_finalize);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  sqlite3_bind_int64(stmt, 1, static_cast<sqlite3_int64>(prefix.size()));
  sqlite3_bind_text(stmt, 2, prefix.data(), static_cast<int>(prefix.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(stmt, 3, now);
  std::vector<std::string> keys;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
    keys.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                      static_cast<size_t>(sqlite3_column_bytes(stmt, 0)));
  if (rc != SQLITE_DONE) throw Failure(std::string("embedded store: ") + sqlite3_errmsg(db.get()));
  return keys;
}

}  // namespace

int list_users(const app::Config& c) {
  // The user key must be "<prefix>%u" for a scan to find every user.
  const std::string marker = "\x01";
  auto pattern = user_key(c, marker);
  if (pattern.empty() || pattern.find(marker) != pattern.size() - 1)
    throw Failure("user list needs an auth.auth_cmd key of the form <prefix>%u");
  auto prefix = pattern.substr(0, pattern.size() - 1);
  auto keys = c.str("auth.backend") == "redis" ? redis_keys(c, prefix) : embedded_keys(c, prefix);
  std::vector<std::string> names;
  for (auto& k : keys) names.push_back(k.substr(prefix.size()));
  std::sort(names.begin(), names.end());
  for (auto& n : names) std::cout << n << "\n";
  return 0;
}

}  // namespace ctl
