#include "credentials.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "auth/user_fields.hpp"
#include "broker/hooks.hpp"
#include "json.hpp"
#include "secrets.hpp"

namespace http::detail {

using storage::Db;
using storage::Status;

std::shared_ptr<Join> Join::make(int steps, std::function<void(Status)> done) {
  auto j = std::make_shared<Join>();
  j->left_ = steps;
  j->done_ = std::move(done);
  return j;
}

void Join::step(const Status& s) {
  std::function<void(Status)> done;
  Status result;
  {
    std::lock_guard lock(mutex_);
    if (!s.ok && first_.ok) first_ = s;
    if (--left_ != 0) return;
    done = std::move(done_);
    result = first_;
  }
  done(result);
}

namespace {
std::string logins_key(const std::string& openid) { return "logins:" + openid; }

void prune_index(const ContextPtr& ctx, const std::string& index, const std::string& fresh) {
  ctx->store.kv->hgetall(Db::lock, index, [ctx, index, fresh](storage::Result<storage::Fields> r) {
    if (!r.ok) return;
    for (auto& [key, issued] : r.value) {
      // A login racing this one may not have written its credential yet: leave young entries.
      if (key == fresh || now_ms() - std::atoll(issued.c_str()) < 60000) continue;
      ctx->store.kv->exists(Db::auth, "mqtt_user:" + key, [ctx, index, key = key](storage::Result<bool> e) {
        if (e.ok && !e.value) ctx->store.kv->hdel(Db::lock, index, {key}, [](storage::Result<long long>) {});
      });
    }
  });
}
}  // namespace

void issue_user_credentials(const ContextPtr& ctx, const storage::Binding& b,
                            std::function<void(Status, IssuedCredentials)> done) {
  IssuedCredentials c{base64(random_bytes(16)), base64(random_bytes(8))};
  const auto ttl = ctx->opt.credential_ttl;
  storage::Fields acl{{"/" + b.lockno + "/#", "1"},
                      {"/" + b.lockno + "/" + std::string(1, b.morf), "2"},
                      {"/unauth", "2"}};
  auto join = Join::make(3, [c, done = std::move(done)](Status s) { done(s, c); });
  auto step = [join](Status s) { join->step(s); };
  auto& kv = *ctx->store.kv;
  // The "ttl" field (seconds) tells auth/'s CredentialKeeper to renew the expiry while connected.
  password_fields(ctx, c.pwd, [ctx, key = c.key, ttl, step](storage::Fields f) {
    f.emplace_back(auth::kTtlField, std::to_string(std::max<long long>(1, ttl.count() / 1000)));
    ctx->store.kv->hreplace(Db::auth, "mqtt_user:" + key, std::move(f), ttl, step);
  });
  kv.hreplace(Db::auth, "mqtt_acl:" + c.key, std::move(acl), ttl, step);
  // The index has no expiry: a client that stays connected keeps its credentials alive past
  // the TTL (renewed while connected), and unbinding must still find them. Entries whose
  // credentials expired are pruned here, one login at a time.
  auto index = logins_key(b.userno);
  kv.hset(Db::lock, index, {{c.key, std::to_string(now_ms())}}, step);
  prune_index(ctx, index, c.key);
}

void revoke_user(const ContextPtr& ctx, const std::string& openid, std::function<void(Status)> done) {
  auto index = logins_key(openid);
  ctx->store.kv->hgetall(Db::lock, index, [ctx, index, done = std::move(done)](
                                               storage::Result<storage::Fields> r) {
    if (!r.ok) return done(r);
    if (ctx->revoker) {
      auto join = Join::make(static_cast<int>(r.value.size()) + 1, [ctx, index, done](Status s) {
        if (!s.ok) return done(s);
        ctx->store.kv->del(Db::lock, {index}, [done](storage::Result<long long> r) { done(r); });
      });
      for (auto& [key, issued] : r.value) ctx->revoker(key, [join](Status s) { join->step(s); });
      return join->step(Status::success());
    }
    std::vector<std::string> keys;
    for (auto& [key, issued] : r.value) {
      keys.push_back("mqtt_user:" + key);
      keys.push_back("mqtt_acl:" + key);
    }
    auto users = r.value;
    auto finish = [ctx, index, users, done](Status s) {
      if (!s.ok) return done(s);
      // Credentials are gone first, so a disconnected client cannot log straight back in.
      for (auto& [key, issued] : users) ctx->control->disconnect_user(key);
      ctx->store.kv->del(Db::lock, {index}, [done](storage::Result<long long> r) { done(r); });
    };
    if (keys.empty()) return finish(Status::success());
    ctx->store.kv->del(Db::auth, std::move(keys),
                       [finish](storage::Result<long long> r) { finish(r); });
  });
}

std::string login_answer(const storage::Binding& b, const IssuedCredentials& c) {
  JsonOut j;
  j.begin_object()
      .key("exists").num(1)
      .key("lockno").str(b.lockno)
      .key("morf").str(std::string(1, b.morf))
      .key("adate").str(b.adate)
      .key("key").str(c.key)
      .key("pwd").str(c.pwd)
      .end_object();
  return j.take();
}

void write_device_secrets(const ContextPtr& ctx, const std::string& lockno,
                          std::function<void(Status, DeviceSecrets)> done) {
  DeviceSecrets s{base64(random_bytes(12)), binding_code(), binding_code()};
  while (s.bindcode_f == s.bindcode_m) s.bindcode_f = binding_code();
  const std::string t = "/" + lockno + "/";
  storage::Fields acl{{t + "statu", "2"}, {t + "fw", "2"}, {t + "call", "1"}, {t + "ota", "1"}};
  auto join = Join::make(3, [s, done = std::move(done)](Status st) { done(st, s); });
  auto step = [join](Status st) { join->step(st); };
  auto& kv = *ctx->store.kv;
  const std::chrono::milliseconds forever{0};
  password_fields(ctx, s.password, [ctx, lockno, forever, step](storage::Fields f) {
    f.emplace_back(auth::kClientIdField, lockno);  // the lock's account connects as itself only
    ctx->store.kv->hreplace(Db::auth, "mqtt_user:" + lockno, std::move(f), forever, step);
  });
  kv.hreplace(Db::auth, "mqtt_acl:" + lockno, std::move(acl), forever, step);
  kv.hreplace(Db::lock, "bindcode:" + lockno,
              {{"m", sha256_hex(s.bindcode_m)}, {"f", sha256_hex(s.bindcode_f)}}, forever, step);
}

void rotate_bindcodes(const ContextPtr& ctx, const std::string& lockno, std::string roles,
                      std::function<void(Status, storage::Fields)> done) {
  storage::Fields plain, hashed;
  for (char role : roles) {
    auto code = binding_code();
    hashed.emplace_back(std::string(1, role), sha256_hex(code));
    plain.emplace_back(std::string(1, role), std::move(code));
  }
  ctx->store.kv->hset(Db::lock, "bindcode:" + lockno, std::move(hashed),
                      [plain = std::move(plain), done = std::move(done)](Status s) { done(s, plain); });
}

void delete_device_secrets(const ContextPtr& ctx, const std::string& lockno,
                           std::function<void(Status)> done) {
  auto join = Join::make(2, std::move(done));
  ctx->store.kv->del(Db::auth, {"mqtt_user:" + lockno, "mqtt_acl:" + lockno},
                     [join](storage::Result<long long> r) { join->step(r); });
  ctx->store.kv->del(Db::lock, {"bindcode:" + lockno, "ota:" + lockno},
                     [join](storage::Result<long long> r) { join->step(r); });
}

}  // namespace http::detail
