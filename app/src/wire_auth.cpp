#include "wire_auth.hpp"

#include <filesystem>
#include <future>

#include "auth/authenticator.hpp"
#include "auth/credential_keeper.hpp"
#include "auth/credential_store.hpp"
#include "auth/store_lock.hpp"
#include "auth/users_file.hpp"
#include "broker/server.hpp"
#include "storage/open.hpp"

namespace app {

namespace {

using Verb = auth::CommandTemplate::Verb;

auth::CommandTemplate command(const Config& c, const std::string& key, std::vector<Verb> verbs) {
  std::string why;
  auto t = auth::CommandTemplate::parse(c.str(key), std::move(verbs), &why);
  if (!t) throw ConfigError(key + ": " + why);
  return *t;
}

auth::RateLimiter::Options limits(const Config& c, const std::string& failures_key) {
  auth::RateLimiter::Options o;
  o.free_failures = static_cast<unsigned>(c.integer(failures_key));
  o.base = c.duration("auth.lockout_base");
  o.max = c.duration("auth.lockout_max");
  return o;
}

auth::HashSpec issued_hash(const Config& c) {
  std::string why;
  auto spec = auth::parse_issued_hash_spec(c.str("auth.issued_password_hash"), &why);
  if (!spec) throw ConfigError("auth.issued_password_hash: " + why);
  return *spec;
}

// auth.acl_file unset: the rules shipped with Sakura (deploy/acl.conf), next to the executable as
// installed (<prefix>/bin -> <prefix>/share/sakura) and as built (build/app -> build/share/sakura),
// else where `cmake --install` put them. None found stops the start: without them a lock with
// no mqtt_acl rows would connect and silently never open.
std::string default_acl_file() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "sakura" / "acl.conf");
  candidates.emplace_back(SAKURA_INSTALL_DATADIR "/sakura/acl.conf");
  std::string tried;
  for (const auto& p : candidates) {
    if (fs::is_regular_file(p, ec)) return p.string();
    tried += (tried.empty() ? "" : ", ") + p.string();
  }
  throw ConfigError("auth.acl_file: unset, and the default rules are not at " + tried +
                    " (install Sakura, or set auth.acl_file)");
}

auth::AuthOptions options(const Config& c, const std::string& rules) {
  auth::AuthOptions o;
  std::string why;
  auto hash = auth::parse_hash_spec(c.str("auth.password_hash"), &why);
  if (!hash) throw ConfigError("auth.password_hash: " + why);
  o.hash = *hash;
  o.auth_cmd = command(c, "auth.auth_cmd", {Verb::hmget, Verb::hget});
  o.super_cmd.reset();
  if (c.has("auth.super_cmd")) o.super_cmd = command(c, "auth.super_cmd", {Verb::hget, Verb::hmget});
  o.acl_cmd = command(c, "auth.acl_cmd", {Verb::hgetall});
  o.allow_anonymous = c.boolean("auth.allow_anonymous");
  o.nomatch_allow = c.str("auth.acl_nomatch") == "allow";
  try {
    o.global = std::make_shared<auth::GlobalRules>(auth::GlobalRules::load(rules));
  } catch (const std::exception& e) {
    throw ConfigError(std::string("auth.acl_file: ") + e.what());
  }
  o.anonymous_unrestricted = !c.has("auth.acl_file") || o.global->empty();
  o.throttle.per_pair = limits(c, "auth.max_failures_per_user");
  o.throttle.per_user = limits(c, "auth.max_failures_per_user_total");
  o.throttle.per_address = limits(c, "auth.max_failures_per_address");
  o.throttle.max_entries = static_cast<std::size_t>(c.integer("auth.throttle_max_entries"));
  o.hash_threads = static_cast<unsigned>(c.integer("auth.hash_threads"));
  return o;
}

}  // namespace

std::shared_ptr<auth::CredentialStore> credential_store(const Config& config, std::shared_ptr<storage::KeyValue> kv) {
  using Verb = auth::CommandTemplate::Verb;
  return std::make_shared<auth::CredentialStore>(
      std::move(kv),
      auth::CredentialLayout(command(config, "auth.auth_cmd", {Verb::hmget, Verb::hget}).key_pattern,
                             command(config, "auth.acl_cmd", {Verb::hgetall}).key_pattern),
      issued_hash(config));
}

AuthWiring wire_auth(broker::Server& server, const Config& config, const Logging& logging,
                     const storage::Storage& storage) {
  auto kv = storage.kv;
  auto log = logging.get("auth");
  if (config.str("auth.backend") == "embedded") {
    auth::StoreLock lock(config.str("node.data_dir"));
    if (lock.ok()) lock.keep_until_exit();  // tells sakura-ctl that this process owns the embedded store
    else
      log->warn(
          "{} is held by another process (sakura-ctl or a second broker on this data dir): "
          "its changes to the embedded store will not be seen here",
          lock.path());
  }
  const std::string rules = config.has("auth.acl_file") ? config.str("auth.acl_file") : default_acl_file();
  auto o = options(config, rules);
  AuthWiring w;
  w.credentials = credential_store(config, kv);
  w.keeper = std::make_shared<auth::CredentialKeeper>(w.credentials, config.duration("auth.credential_check"), log);
  if (config.has("auth.users_file")) {
    auth::UsersFile users;
    try {
      users = auth::UsersFile::load(config.str("auth.users_file"));
    } catch (const std::exception& e) {
      throw ConfigError(std::string("auth.users_file: ") + e.what());
    }
    // The embedded store answers from its own thread, so waiting here is safe and means the
    // broker never accepts a CONNECT before the file's users exist. Redis answers only once the
    // broker's threads run: there the load completes in the background and is logged.
    auto loaded = std::make_shared<std::promise<storage::Status>>();
    auto ready = loaded->get_future();
    std::size_t count = users.users.size();
    users.apply(*kv, o.auth_cmd.key_pattern, o.acl_cmd.key_pattern, [loaded, log, count](storage::Status s) {
      if (s.ok) log->info("auth.users_file: {} users loaded", count);
      else log->error("auth.users_file: loading failed: {}", s.message);
      loaded->set_value(s);
    });
    if (config.str("auth.backend") == "embedded") {
      auto s = ready.get();
      if (!s.ok) throw ConfigError("auth.users_file: " + s.message);
    }
  }
  log->info("auth: backend={} password_hash={} anonymous={} acl_nomatch={} global rules={} from {}",
            config.str("auth.backend"), auth::to_string(o.hash), o.allow_anonymous ? "allow" : "deny",
            o.nomatch_allow ? "allow" : "deny", o.global->size(), rules);
  // Legal (the old system ran this way) but worth a warning at every start: the lock topics stay
  // guarded by lockrules' TopicGuard, every other topic is open to whoever gets in.
  if (o.nomatch_allow)
    log->warn(
        "auth.acl_nomatch=allow lets clients without mqtt_acl rows publish and subscribe on "
        "every topic (other locks' status, owners' requests); set auth.acl_nomatch=deny");
  if (o.allow_anonymous && o.anonymous_unrestricted)
    log->warn(
        "auth.allow_anonymous=true without auth.acl_file lets clients with no credentials "
        "publish and subscribe on every topic; give them rules in an acl file or refuse them");
  w.authenticator = std::make_shared<auth::KvAuthenticator>(std::move(kv), std::move(o), log, w.keeper);
  server.broker().set_authenticator(w.authenticator);
  server.broker().add_observer(w.keeper);
  w.keeper->start(server.broker());
  return w;
}

}  // namespace app
