#pragma once
// broker::Authenticator over the Redis-shaped store: emqx_auth_redis's lookups (auth_cmd, then
// super_cmd, then acl_cmd), answered asynchronously, with brute-force throttling. The same code
// serves auth.backend=redis and the embedded store, since both speak storage::KeyValue.
//
// THREADING: authenticate() is called on a broker I/O thread and only starts work; the store's
// callbacks continue on the store's thread, slow hashes (bcrypt, pbkdf2) on the hash pool. `done`
// is called exactly once from one of those threads (the broker posts back). Options are fixed
// after construction; counters are atomics; the throttle locks internally.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "auth/acl_file.hpp"
#include "auth/command_template.hpp"
#include "auth/login_throttle.hpp"
#include "auth/password.hpp"
#include "broker/hooks.hpp"
#include "common/worker_pool.hpp"
#include "storage/key_value.hpp"

namespace spdlog {
class logger;
}

namespace auth {

class CredentialKeeper;

struct AuthOptions {
  HashSpec hash;
  CommandTemplate auth_cmd =
      *CommandTemplate::parse("HMGET mqtt_user:%u password salt", {CommandTemplate::Verb::hmget});
  std::optional<CommandTemplate> super_cmd = CommandTemplate::parse(
      "HGET mqtt_user:%u is_superuser", {CommandTemplate::Verb::hget, CommandTemplate::Verb::hmget});
  CommandTemplate acl_cmd = *CommandTemplate::parse("HGETALL mqtt_acl:%u", {CommandTemplate::Verb::hgetall});
  bool allow_anonymous = false;
  bool nomatch_allow = false;
  std::shared_ptr<const GlobalRules> global = std::make_shared<GlobalRules>();
  // Anonymous clients (auth.allow_anonymous) get no ACL at all, as with Mosquitto's
  // allow_anonymous and no acl_file: true when the operator configured no rules of their own
  // (auth.acl_file unset, so `global` is the shipped default for accounts, or an empty file).
  bool anonymous_unrestricted = true;
  LoginThrottle::Options throttle;
  unsigned hash_threads = 1;
  std::size_t hash_queue = 256;
};

// Counters for /metrics; monotonic.
struct AuthStats {
  std::atomic<std::uint64_t> attempts{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> anonymous_refused{0};
  std::atomic<std::uint64_t> unknown_user{0};
  std::atomic<std::uint64_t> bad_password{0};
  std::atomic<std::uint64_t> store_errors{0};
  std::atomic<std::uint64_t> throttled{0};          // refused without a lookup: source or user blocked
  std::atomic<std::uint64_t> overloaded{0};         // refused: the hash queue was full
  std::atomic<std::uint64_t> client_id_refused{0};  // right password, client id not the pinned one
};

class KvAuthenticator final : public broker::Authenticator, public std::enable_shared_from_this<KvAuthenticator> {
 public:
  // `keeper` (optional) learns which credentials expire, so it renews them while connected.
  KvAuthenticator(std::shared_ptr<storage::KeyValue> kv, AuthOptions options, std::shared_ptr<spdlog::logger> log,
                  std::shared_ptr<CredentialKeeper> keeper = nullptr);
  ~KvAuthenticator() override;

  void authenticate(const broker::AuthRequest& request, std::function<void(broker::AuthResult)> done) override;

  const AuthStats& stats() const { return stats_; }
  const AuthOptions& options() const { return options_; }
  const LoginThrottle& throttle() const { return throttle_; }

  // The hash field that marks an expiring credential (see credential_keeper.hpp).
  static constexpr const char* ttl_field = kTtlField;

 private:
  struct Attempt;
  void on_user(std::shared_ptr<Attempt> a, storage::Result<std::vector<std::optional<std::string>>> r);
  void on_password_checked(std::shared_ptr<Attempt> a, bool ok);
  void on_superuser(std::shared_ptr<Attempt> a, bool superuser);
  void load_acl(std::shared_ptr<Attempt> a);
  void on_acl(std::shared_ptr<Attempt> a, storage::Result<storage::Fields> r);
  void refuse(Attempt& a, std::atomic<std::uint64_t>& counter, const char* why, bool failure,
              broker::codec::ConnectReturn code = broker::codec::ConnectReturn::not_authorized);
  std::shared_ptr<broker::Acl> make_acl(const broker::ClientInfo& client, const storage::Fields& rows) const;

  std::shared_ptr<storage::KeyValue> kv_;
  AuthOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<CredentialKeeper> keeper_;
  // Where the merged HMGET puts is_superuser, ttl, hash and salt (auth_cmd fields come first).
  std::optional<std::size_t> salt_index_;
  std::optional<std::size_t> super_index_;
  std::size_t ttl_index_ = 0;
  std::size_t hash_index_ = 0;       // the credential's own scheme (kHashField)
  std::size_t own_salt_index_ = 0;   // its salt when it names one
  std::size_t client_id_index_ = 0;  // the account's pinned client id (kClientIdField)
  LoginThrottle throttle_;
  // Slow password checks (bcrypt, pbkdf2), never on an I/O or store thread. Bounded: a full
  // queue fails the login (code 5) at once instead of piling up work an attacker can create
  // faster than it is hashed; queued checks are dropped at shutdown (the connect timeout
  // answers those logins).
  common::WorkerPool<> hashes_;
  AuthStats stats_;
};

}  // namespace auth
