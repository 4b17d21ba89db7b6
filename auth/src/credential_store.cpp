#include "auth/credential_store.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "auth/user_fields.hpp"
#include "common/clock.hpp"

namespace auth {

using storage::Db;
using storage::Fields;
using storage::Result;
using storage::Status;

namespace {

// An index entry younger than this is kept even when its record is missing: a login racing the
// prune may not have written it yet.
constexpr std::int64_t kYoungMs = 60'000;

std::optional<std::string> key_pattern(std::string_view text, std::vector<CommandTemplate::Verb> verbs,
                                       std::string* why) {
  auto t = CommandTemplate::parse(text, std::move(verbs), why);
  if (!t) return std::nullopt;
  return t->key_pattern;
}

Fields sorted(Fields f) {
  std::sort(f.begin(), f.end());
  return f;
}

// Drops the owner's index entries whose credentials are gone (expired, revoked), one login at a
// time: the index itself never expires, since a connected client keeps its credential alive.
void prune(std::shared_ptr<storage::KeyValue> kv, const CredentialLayout& layout, const std::string& owner,
           const std::string& fresh) {
  auto index = CredentialLayout::index_key(owner);
  kv->hgetall(Db::lock, index, [kv, index, fresh, layout](Result<Fields> r) {
    if (!r.ok) return;
    for (auto& [username, issued] : r.value) {
      if (username == fresh || common::unix_ms_now() - std::atoll(issued.c_str()) < kYoungMs) continue;
      kv->exists(Db::auth, layout.user_key(username), [kv, index, username = username](Result<bool> e) {
        if (e.ok && !e.value) kv->hdel(Db::lock, index, {username}, [](Result<long long>) {});
      });
    }
  });
}

}  // namespace

CredentialLayout::CredentialLayout(std::string user_pattern, std::string acl_pattern)
    : user_pattern_(std::move(user_pattern)), acl_pattern_(std::move(acl_pattern)) {}

std::optional<CredentialLayout> CredentialLayout::parse(std::string_view auth_cmd, std::string_view acl_cmd,
                                                        std::string* why) {
  using V = CommandTemplate::Verb;
  auto user = key_pattern(auth_cmd, {V::hmget, V::hget}, why);
  if (!user) return std::nullopt;
  auto acl = key_pattern(acl_cmd, {V::hgetall}, why);
  if (!acl) return std::nullopt;
  return CredentialLayout(*user, *acl);
}

std::string CredentialLayout::user_key(std::string_view username, std::string_view client_id) const {
  return substitute(user_pattern_, username, client_id);
}

std::string CredentialLayout::acl_key(std::string_view username, std::string_view client_id) const {
  return substitute(acl_pattern_, username, client_id);
}

std::optional<std::string> CredentialLayout::user_prefix() const {
  const std::string marker = "\x01";
  auto key = substitute(user_pattern_, marker, "");
  if (key.empty() || key.find(marker) != key.size() - 1) return std::nullopt;
  // A prefix holding %c (substituted by "" above) would not name one user per key.
  if (user_pattern_.find("%c") != std::string::npos) return std::nullopt;
  return key.substr(0, key.size() - 1);
}

std::string CredentialLayout::index_key(std::string_view owner) { return "logins:" + std::string(owner); }

NewCredential lock_credential(const std::string& lockno, std::string password) {
  NewCredential c;
  c.username = lockno;
  c.password = std::move(password);
  const std::string t = "/" + lockno + "/";
  c.acl = {{t + "statu", "2"}, {t + "fw", "2"}, {t + "call", "1"}, {t + "ota", "1"}};
  c.client_id = lockno;  // its credentials, in every lock's flash, cannot take another lock's session
  return c;
}

CredentialStore::CredentialStore(std::shared_ptr<storage::KeyValue> kv, CredentialLayout layout, HashSpec issued)
    : kv_(std::move(kv)), layout_(std::move(layout)), issued_(issued) {}

void CredentialStore::issue(NewCredential c, StatusCallback done) {
  Fields record = issued_credential(issued_, c.password);
  if (c.ttl.count() > 0) record.emplace_back(kTtlField, std::to_string(std::max<long long>(1, c.ttl.count() / 1000)));
  if (c.superuser) record.emplace_back("is_superuser", "1");
  if (!c.client_id.empty()) record.emplace_back(kClientIdField, c.client_id);
  auto user_key = layout_.user_key(c.username);
  auto acl_key = layout_.acl_key(c.username);
  auto kv = kv_;
  auto index = [kv, layout = layout_, owner = c.owner, username = c.username, done](Status s) {
    if (!s.ok || owner.empty()) return done(s);
    auto issued = std::to_string(common::unix_ms_now());
    kv->hset(Db::lock, CredentialLayout::index_key(owner), {{username, issued}},
             [kv, layout, owner, username, done](Status s) {
               if (s.ok) prune(kv, layout, owner, username);
               done(s);
             });
  };
  auto write_record = [kv, user_key, record = std::move(record), ttl = c.ttl, index](Status s) mutable {
    if (!s.ok) return index(s);
    kv->hreplace(Db::auth, user_key, std::move(record), ttl, index);
  };
  // hreplace with no fields deletes the key: an account without rows has none left over.
  kv->hreplace(Db::auth, acl_key, std::move(c.acl), c.ttl, std::move(write_record));
}

void CredentialStore::read(std::string username, Callback<std::optional<CredentialInfo>> done) {
  using R = Result<std::optional<CredentialInfo>>;
  auto kv = kv_;
  auto user_key = layout_.user_key(username);
  auto acl_key = layout_.acl_key(username);
  kv->hgetall(Db::auth, user_key, [kv, username, user_key, acl_key, done](Result<Fields> user) {
    if (!user.ok) return done(R::failure(user.message));
    if (user.value.empty()) return done(R::success(std::nullopt));
    CredentialInfo info;
    info.username = username;
    for (auto& [f, v] : user.value)
      if (f != "password" && f != "salt") info.fields.emplace_back(f, v);  // never a secret
    info.fields = sorted(std::move(info.fields));
    kv->pttl(Db::auth, user_key, [kv, acl_key, info, done](Result<long long> ttl) mutable {
      if (!ttl.ok) return done(R::failure(ttl.message));
      info.expires_in_ms = ttl.value < 0 ? -1 : ttl.value;
      kv->hgetall(Db::auth, acl_key, [info, done](Result<Fields> acl) mutable {
        if (!acl.ok) return done(R::failure(acl.message));
        info.acl = sorted(std::move(acl.value));
        done(R::success(std::move(info)));
      });
    });
  });
}

void CredentialStore::list(std::string cursor, std::size_t count, Callback<UserPage> done) {
  auto prefix = layout_.user_prefix();
  if (!prefix) {
    done(Result<UserPage>::failure("listing users needs an auth.auth_cmd key of the form <prefix>%u"));
    return;
  }
  kv_->scan(Db::auth, *prefix, std::move(cursor), count, [n = prefix->size(), done](Result<storage::ScanPage> r) {
    if (!r.ok) return done(Result<UserPage>::failure(r.message));
    UserPage page;
    page.cursor = std::move(r.value.cursor);
    for (auto& k : r.value.keys) page.usernames.push_back(k.substr(n));
    done(Result<UserPage>::success(std::move(page)));
  });
}

void CredentialStore::remove(std::string username, Callback<bool> done) {
  kv_->del(Db::auth, {layout_.user_key(username), layout_.acl_key(username)}, [done](Result<long long> r) {
    done(r.ok ? Result<bool>::success(r.value > 0) : Result<bool>::failure(r.message));
  });
}

void CredentialStore::set_acl(std::string username, std::string filter, int access, StatusCallback done) {
  if (access < 1 || access > 3) {
    done(Status::failure("access must be 1 (subscribe), 2 (publish) or 3 (both)"));
    return;
  }
  kv_->hset(Db::auth, layout_.acl_key(username), {{std::move(filter), std::to_string(access)}}, std::move(done));
}

void CredentialStore::remove_acl(std::string username, std::string filter, Callback<bool> done) {
  kv_->hdel(Db::auth, layout_.acl_key(username), {std::move(filter)}, [done](Result<long long> r) {
    done(r.ok ? Result<bool>::success(r.value > 0) : Result<bool>::failure(r.message));
  });
}

void CredentialStore::issued_to(std::string owner, Callback<std::vector<IssuedKey>> done) {
  using R = Result<std::vector<IssuedKey>>;
  auto kv = kv_;
  kv->hgetall(Db::lock, CredentialLayout::index_key(owner), [kv, layout = layout_, done](Result<Fields> r) {
    if (!r.ok) return done(R::failure(r.message));
    if (r.value.empty()) return done(R::success({}));
    struct Gather {
      std::mutex mutex;
      std::vector<IssuedKey> keys;
      std::size_t left = 0;
      Status first;
    };
    auto g = std::make_shared<Gather>();
    g->left = r.value.size();
    for (auto& [username, issued] : r.value) g->keys.push_back({username, std::atoll(issued.c_str()), -2});
    for (std::size_t i = 0; i < g->keys.size(); ++i)
      kv->pttl(Db::auth, layout.user_key(g->keys[i].username), [g, i, done](Result<long long> t) {
        std::unique_lock lock(g->mutex);
        if (!t.ok && g->first.ok) g->first = t;
        if (t.ok) g->keys[i].expires_in_ms = t.value;
        if (--g->left) return;
        lock.unlock();
        if (!g->first.ok) return done(R::failure(g->first.message));
        std::sort(g->keys.begin(), g->keys.end(),
                  [](const IssuedKey& a, const IssuedKey& b) { return a.issued_ms > b.issued_ms; });
        done(R::success(std::move(g->keys)));
      });
  });
}

void CredentialStore::forget(std::string owner, std::vector<std::string> usernames, StatusCallback done) {
  auto index = CredentialLayout::index_key(owner);
  if (usernames.empty()) return kv_->del(Db::lock, {index}, [done](Result<long long> r) { done(r); });
  kv_->hdel(Db::lock, index, std::move(usernames), [done](Result<long long> r) { done(r); });
}

}  // namespace auth
