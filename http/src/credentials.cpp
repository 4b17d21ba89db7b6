#include "credentials.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "auth/credential_keeper.hpp"
#include "auth/credential_store.hpp"
#include "common/base64.hpp"
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
// Issuing hashes the password (slow by construction, auth.issued_password_hash): never on a
// session strand.
void issue_off_strand(const ContextPtr& ctx, auth::NewCredential c, std::function<void(Status)> done) {
  boost::asio::post(*ctx->files, [ctx, c = std::move(c), done = std::move(done)]() mutable {
    ctx->credentials->issue(std::move(c), std::move(done));
  });
}
}  // namespace

void issue_user_credentials(const ContextPtr& ctx, const storage::Binding& b,
                            std::function<void(Status, IssuedCredentials)> done) {
  IssuedCredentials c{common::base64_encode(random_bytes(16)), common::base64_encode(random_bytes(8))};
  auth::NewCredential n;
  n.username = c.key;
  n.password = c.pwd;
  n.acl = {{"/" + b.lockno + "/#", "1"}, {"/" + b.lockno + "/" + std::string(1, b.morf), "2"}, {"/unauth", "2"}};
  // Expires, renewed while connected; indexed under the OpenID so unbinding finds every key.
  n.ttl = ctx->opt.credential_ttl;
  n.owner = b.userno;
  issue_off_strand(ctx, std::move(n), [c, done = std::move(done)](Status s) { done(s, c); });
}

void revoke_user(const ContextPtr& ctx, const std::string& openid, std::function<void(Status)> done) {
  ctx->credentials->issued_to(
      openid, [ctx, openid, done = std::move(done)](storage::Result<std::vector<auth::IssuedKey>> r) {
        if (!r.ok) return done(r);
        auto join = Join::make(static_cast<int>(r.value.size()) + 1, [ctx, openid, done](Status s) {
          if (!s.ok) return done(s);
          // Credentials are gone first, so a disconnected client cannot log straight back in.
          ctx->credentials->forget(openid, {}, done);
        });
        for (auto& k : r.value) ctx->keeper->revoke(k.username, [join](storage::Result<bool> s) { join->step(s); });
        join->step(Status::success());
      });
}

void unbind_user(const ContextPtr& ctx, const std::string& openid, std::function<void(Status, bool)> done) {
  ctx->store.sql->find_binding_by_user(openid, [ctx, openid, done](storage::Result<std::optional<storage::Binding>> b) {
    if (!b.ok) return done(b, false);
    if (!b.value) return done(Status::success(), false);
    auto binding = *b.value;
    ctx->store.sql->unbind(openid, [ctx, openid, binding, done](storage::Result<bool> r) {
      if (!r.ok) return done(r, false);
      if (!r.value) return done(Status::success(), false);
      ctx->counters.unbinds++;
      rotate_bindcodes(
          ctx, binding.lockno, std::string(1, binding.morf), [ctx, openid, done](Status rs, storage::Fields) {
            if (!rs.ok) return done(Status::failure("unbound, binding code not rotated: " + rs.message), true);
            revoke_user(ctx, openid, [done](Status s) {
              if (!s.ok) return done(Status::failure("unbound, but revoking credentials failed: " + s.message), true);
              done(Status::success(), true);
            });
          });
    });
  });
}

std::optional<Response> bind_refusal(storage::BindOutcome outcome) {
  switch (outcome) {
    case storage::BindOutcome::user_already_bound:
      return error_response(409, "already_bound", "this user is bound to a lock; unbind first");
    case storage::BindOutcome::role_taken: return error_response(409, "role_taken", "this lock already has that owner");
    case storage::BindOutcome::bound: break;
  }
  return std::nullopt;
}

std::string login_answer(const storage::Binding& b, const IssuedCredentials& c) {
  JsonOut j;
  j.begin_object()
      .key("exists")
      .num(1)
      .key("lockno")
      .str(b.lockno)
      .key("morf")
      .str(std::string(1, b.morf))
      .key("adate")
      .str(b.adate)
      .key("key")
      .str(c.key)
      .key("pwd")
      .str(c.pwd)
      .end_object();
  return j.take();
}

void write_device_secrets(const ContextPtr& ctx, const std::string& lockno,
                          std::function<void(Status, DeviceSecrets)> done) {
  DeviceSecrets s{common::base64_encode(random_bytes(12)), binding_code(), binding_code()};
  while (s.bindcode_f == s.bindcode_m) s.bindcode_f = binding_code();
  auto join = Join::make(2, [s, done = std::move(done)](Status st) { done(st, s); });
  auto step = [join](Status st) { join->step(st); };
  issue_off_strand(ctx, auth::lock_credential(lockno, s.password), step);
  const std::chrono::milliseconds forever{0};
  ctx->store.kv->hreplace(Db::lock, "bindcode:" + lockno,
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

void delete_device_secrets(const ContextPtr& ctx, const std::string& lockno, std::function<void(Status)> done) {
  auto join = Join::make(2, std::move(done));
  // A removed lock's connection goes with its credentials.
  ctx->keeper->revoke(lockno, [join](storage::Result<bool> r) { join->step(r); });
  ctx->store.kv->del(Db::lock, {"bindcode:" + lockno, "ota:" + lockno},
                     [join](storage::Result<long long> r) { join->step(r); });
}

}  // namespace http::detail
