#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "auth/command_template.hpp"
#include "auth/password.hpp"
#include "ctl.hpp"

namespace ctl {

Context::Context(const app::Config& config) : config_(config) {
  thread_ = std::thread([this] { io_.run(); });
}

Context::~Context() {
  kv_.reset();
  guard_.reset();
  io_.stop();
  thread_.join();
}

storage::KeyValue& Context::kv() {
  if (!kv_) open();
  return *kv_;
}

void Context::open() {
  storage::Config s;
  s.data_dir = config_.str("node.data_dir");
  if (config_.str("auth.backend") == "redis") {
    s.kv_backend = storage::KvBackend::redis;
    s.redis.server = config_.str("redis.server");
    s.redis.password = config_.str("redis.password");
    s.redis.auth_db = static_cast<int>(config_.integer("redis.auth_db"));
    s.redis.lock_db = static_cast<int>(config_.integer("redis.lock_db"));
  } else {
    lock_ = std::make_unique<auth::StoreLock>(s.data_dir);
    if (!lock_->ok())
      throw Failure("a running sakura-broker owns the embedded store (" + lock_->path() +
                    " is locked): stop it, or use its HTTP admin API");
  }
  auto log = spdlog::get("sakura-ctl");
  if (!log) log = spdlog::stderr_color_mt("sakura-ctl");
  log->set_level(spdlog::level::warn);
  auto r = storage::open(s, io_, log);
  if (!r.ok) throw Failure("cannot open the store: " + r.message);
  kv_ = r.value.kv;
}

namespace {
std::string key_of(const app::Config& c, const std::string& setting, const std::string& name) {
  using V = auth::CommandTemplate::Verb;
  std::string why;
  auto t = auth::CommandTemplate::parse(c.str(setting), {V::hmget, V::hget, V::hgetall}, &why);
  if (!t) throw app::ConfigError(setting + ": " + why);
  return t->key(name, "");
}
}  // namespace

std::string user_key(const app::Config& c, const std::string& name) {
  return key_of(c, "auth.auth_cmd", name);
}
std::string acl_key(const app::Config& c, const std::string& name) {
  return key_of(c, "auth.acl_cmd", name);
}

std::string take_option(Args& args, const std::string& name, const std::string& fallback) {
  auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end()) return fallback;
  if (it + 1 == args.end()) throw UsageError(name + " needs a value");
  std::string value = *(it + 1);
  args.erase(it, it + 2);
  return value;
}

storage::Fields credential_fields(const app::Config& c, const std::string& password) {
  std::string why;
  auto spec = auth::parse_issued_hash_spec(c.str("auth.issued_password_hash"), &why);
  if (!spec) throw app::ConfigError("auth.issued_password_hash: " + why);
  return auth::issued_credential(*spec, password);
}

bool take_flag(Args& args, const std::string& name) {
  auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end()) return false;
  args.erase(it);
  return true;
}

}  // namespace ctl
