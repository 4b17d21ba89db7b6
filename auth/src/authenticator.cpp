#include "auth/authenticator.hpp"

#include <spdlog/spdlog.h>

#include "auth/credential_keeper.hpp"
#include "auth/user_acl.hpp"
#include "broker/log_text.hpp"

namespace auth {

using broker::AuthResult;
using broker::codec::ConnectReturn;

struct KvAuthenticator::Attempt {
  broker::ClientInfo client;
  std::string password;
  std::function<void(AuthResult)> done;
  LoginThrottle::Keys throttle_keys;
  std::string auth_key;  // store keys
  bool superuser = false;
  std::chrono::milliseconds ttl{0};
  std::optional<std::string> pinned_client_id;
};

KvAuthenticator::KvAuthenticator(std::shared_ptr<storage::KeyValue> kv, AuthOptions options,
                                 std::shared_ptr<spdlog::logger> log, std::shared_ptr<CredentialKeeper> keeper)
    : kv_(std::move(kv)),
      options_(std::move(options)),
      log_(std::move(log)),
      keeper_(std::move(keeper)),
      throttle_(options_.throttle),
      hashes_(common::PoolOptions{options_.hash_threads, options_.hash_queue, common::AtStop::drop_queued}) {
  // One HMGET instead of two round trips when super_cmd reads the same hash, as it does by
  // default; the ttl marker rides along.
  auto& fields = options_.auth_cmd.fields;
  if (fields.size() > 1 && fields[1] != "is_superuser") salt_index_ = 1;
  for (std::size_t i = 1; i < fields.size(); ++i)
    if (fields[i] == "is_superuser") super_index_ = i;
  auto& s = options_.super_cmd;
  if (super_index_) {
    s.reset();  // auth_cmd already reads it, as EMQX 4 allows
  } else if (s && s->key_pattern == options_.auth_cmd.key_pattern) {
    super_index_ = options_.auth_cmd.fields.size();
    options_.auth_cmd.fields.push_back(s->fields.at(0));
    s.reset();
  }
  ttl_index_ = options_.auth_cmd.fields.size();
  options_.auth_cmd.fields.push_back(ttl_field);
  hash_index_ = options_.auth_cmd.fields.size();
  options_.auth_cmd.fields.push_back(kHashField);
  client_id_index_ = options_.auth_cmd.fields.size();
  options_.auth_cmd.fields.push_back(kClientIdField);
  // A credential that names its own scheme keeps its salt in `salt`, whatever auth_cmd reads.
  for (std::size_t i = 1; i < fields.size(); ++i)
    if (fields[i] == "salt") own_salt_index_ = i;
  if (own_salt_index_ == 0) {
    own_salt_index_ = fields.size();
    fields.push_back("salt");
  }
}

KvAuthenticator::~KvAuthenticator() = default;

void KvAuthenticator::refuse(Attempt& a, std::atomic<std::uint64_t>& counter, const char* why, bool failure,
                             ConnectReturn code) {
  ++counter;
  auto user = a.client.username ? broker::log_text(*a.client.username) : "-";
  log_->info("auth refused client={} user={} addr={}: {}", broker::log_text(a.client.client_id), user,
             broker::log_text(a.client.address), why);
  if (failure) {
    auto block = throttle_.failure(a.throttle_keys);
    // A username or an address blocked is sustained guessing: the alert (a pair's block is one
    // client's own mistakes, already in the line above).
    if (block.scope && std::string_view(block.scope) != "pair")
      log_->warn("auth alert: sustained failed logins, {} blocked for {} ms (user={} addr={})", block.scope,
                 block.duration.count(), user, a.client.address);
  }
  auto done = std::move(a.done);
  done(AuthResult{code, false, nullptr});
}

std::shared_ptr<broker::Acl> KvAuthenticator::make_acl(const broker::ClientInfo& client,
                                                       const storage::Fields& rows) const {
  WhoAsks who;
  who.username = client.username ? &*client.username : nullptr;
  who.client_id = client.client_id;
  who.address = peer_address(client.address);
  return std::make_shared<UserAcl>(rows, client.username.value_or(""), client.client_id,
                                   options_.global->for_client(who), options_.nomatch_allow);
}

void KvAuthenticator::authenticate(const broker::AuthRequest& request, std::function<void(AuthResult)> done) {
  ++stats_.attempts;
  auto a = std::make_shared<Attempt>();
  a->client = request.client;
  a->done = std::move(done);
  if (!a->client.username) {
    if (!options_.allow_anonymous) return refuse(*a, stats_.anonymous_refused, "anonymous", false);
    ++stats_.accepted;
    auto acl = options_.anonymous_unrestricted ? nullptr : make_acl(a->client, {});
    auto d = std::move(a->done);
    return d(AuthResult{ConnectReturn::accepted, false, std::move(acl)});
  }
  a->throttle_keys = throttle_.keys(*a->client.username, a->client.address);
  switch (throttle_.check(a->throttle_keys)) {
    case LoginThrottle::Verdict::allow: break;
    case LoginThrottle::Verdict::address_blocked:
      return refuse(*a, stats_.throttled, "throttled after failed logins from this address", false);
    case LoginThrottle::Verdict::pair_blocked:
      return refuse(*a, stats_.throttled, "throttled after failed logins for this user from this address", false);
    case LoginThrottle::Verdict::user_blocked:
      return refuse(*a, stats_.throttled,
                    "throttled: failed logins for this user from many addresses; this address never logged in as it",
                    false);
  }
  if (!request.password) return refuse(*a, stats_.bad_password, "no password", true);
  a->password = *request.password;
  a->auth_key = options_.auth_cmd.key(*a->client.username, a->client.client_id);
  kv_->hmget(storage::Db::auth, a->auth_key, options_.auth_cmd.fields,
             [self = shared_from_this(), a](auto r) { self->on_user(a, std::move(r)); });
}

void KvAuthenticator::on_user(std::shared_ptr<Attempt> a, storage::Result<std::vector<std::optional<std::string>>> r) {
  if (!r.ok) {
    log_->warn("auth store error: {}", r.message);
    return refuse(*a, stats_.store_errors, "credential store unavailable", false);
  }
  auto& v = r.value;
  if (v.empty() || !v[0]) return refuse(*a, stats_.unknown_user, "unknown user", true);
  std::string hash = *v[0];
  std::string salt = salt_index_ && *salt_index_ < v.size() && v[*salt_index_] ? *v[*salt_index_] : "";
  HashSpec spec = options_.hash;
  if (hash_index_ < v.size() && v[hash_index_]) {
    auto own = parse_hash_spec(*v[hash_index_]);
    if (!own) {
      log_->warn("auth: the credential of user={} names an unknown hash", broker::log_text(*a->client.username));
      return refuse(*a, stats_.store_errors, "credential with an unknown hash", false);
    }
    spec = *own;
    salt = own_salt_index_ < v.size() && v[own_salt_index_] ? *v[own_salt_index_] : "";
  }
  if (client_id_index_ < v.size()) a->pinned_client_id = v[client_id_index_];
  if (super_index_ && *super_index_ < v.size()) a->superuser = v[*super_index_] == std::string("1");
  if (ttl_index_ < v.size() && v[ttl_index_]) {
    try {
      a->ttl = std::chrono::seconds(std::stoll(*v[ttl_index_]));
    } catch (const std::exception&) {
      a->ttl = std::chrono::milliseconds(0);  // not a number: treat the credential as permanent
    }
  }
  if (!spec.slow()) return on_password_checked(a, verify_password(spec, a->password, hash, salt));
  bool queued = hashes_.post([self = shared_from_this(), a, spec, hash, salt] {
    self->on_password_checked(a, verify_password(spec, a->password, hash, salt));
  });
  if (!queued) refuse(*a, stats_.overloaded, "password checks overloaded", false);
}

void KvAuthenticator::on_password_checked(std::shared_ptr<Attempt> a, bool ok) {
  a->password.clear();
  if (!ok) return refuse(*a, stats_.bad_password, "wrong password", true);
  // Checked before any session is opened: a lock's credentials under another lock's client id
  // never take that lock's session over.
  if (a->pinned_client_id && *a->pinned_client_id != a->client.client_id)
    return refuse(*a, stats_.client_id_refused, "client id not allowed for this account", false,
                  ConnectReturn::identifier_rejected);
  if (!options_.super_cmd) return on_superuser(a, a->superuser);
  const auto& s = *options_.super_cmd;
  kv_->hmget(storage::Db::auth, s.key(*a->client.username, a->client.client_id), s.fields,
             [self = shared_from_this(), a](auto r) {
               if (!r.ok) {
                 self->log_->warn("auth store error: {}", r.message);
                 return self->refuse(*a, self->stats_.store_errors, "credential store unavailable", false);
               }
               self->on_superuser(a, !r.value.empty() && r.value[0] == std::string("1"));
             });
}

void KvAuthenticator::on_superuser(std::shared_ptr<Attempt> a, bool superuser) {
  a->superuser = superuser;
  if (superuser) return on_acl(a, storage::Result<storage::Fields>::success({}));
  const auto& id = a->client.client_id;
  if (a->pinned_client_id || id.empty() || id == *a->client.username) return load_acl(a);
  // A client id that an account pins to itself is reserved for that account (a lock's lockno):
  // anyone else holding it with a persistent session would keep the lock out.
  kv_->hmget(storage::Db::auth, options_.auth_cmd.key(id, id), {kClientIdField},
             [self = shared_from_this(), a](auto r) {
               if (!r.ok) {
                 self->log_->warn("auth store error: {}", r.message);
                 return self->refuse(*a, self->stats_.store_errors, "credential store unavailable", false);
               }
               if (!r.value.empty() && r.value[0] == a->client.client_id)
                 return self->refuse(*a, self->stats_.client_id_refused, "client id reserved by another account", false,
                                     ConnectReturn::identifier_rejected);
               self->load_acl(a);
             });
}

void KvAuthenticator::load_acl(std::shared_ptr<Attempt> a) {
  kv_->hgetall(storage::Db::auth, options_.acl_cmd.key(*a->client.username, a->client.client_id),
               [self = shared_from_this(), a](auto r) { self->on_acl(a, std::move(r)); });
}

void KvAuthenticator::on_acl(std::shared_ptr<Attempt> a, storage::Result<storage::Fields> r) {
  if (!r.ok) {
    log_->warn("auth store error: {}", r.message);
    return refuse(*a, stats_.store_errors, "credential store unavailable", false);
  }
  throttle_.success(a->throttle_keys);
  ++stats_.accepted;
  if (keeper_ && a->ttl.count() > 0) keeper_->expect(*a->client.username, a->ttl);
  auto acl = a->superuser ? nullptr : make_acl(a->client, r.value);
  AuthResult result{ConnectReturn::accepted, a->superuser, std::move(acl)};
  // Checked in on_password_checked: a pin that names another id never gets here.
  result.owns_client_id = a->pinned_client_id.has_value();
  auto done = std::move(a->done);
  done(std::move(result));
}

}  // namespace auth
