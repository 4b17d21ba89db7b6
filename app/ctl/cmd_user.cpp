// sakura-ctl user add|del|acl|show|list: mqtt_user / mqtt_acl hashes as emqx_auth_redis reads them.
#include <algorithm>
#include <iostream>

#include "auth/password.hpp"
#include "ctl.hpp"

namespace ctl {

namespace {

using storage::Db;

void need(const Args& args, std::size_t n, const char* usage) {
  if (args.size() != n) throw UsageError(std::string("usage: sakura-ctl ") + usage);
}

int add(Context& ctx, Args args) {
  std::string password = take_option(args, "--password");
  std::string ttl = take_option(args, "--ttl");
  bool superuser = take_flag(args, "--superuser");
  need(args, 1, "user add <name> [--password P] [--superuser] [--ttl DURATION]");
  const std::string& name = args[0];
  bool generated = password.empty();
  if (generated) password = auth::random_hex(12);
  auto fields = credential_fields(ctx.config(), password);
  if (superuser) fields.emplace_back("is_superuser", "1");
  std::chrono::milliseconds expiry{0};
  if (!ttl.empty()) {
    try {
      expiry = app::Config::parse_duration(ttl);
    } catch (const std::exception& e) {
      throw UsageError("--ttl: " + std::string(e.what()));
    }
    // The field tells the broker to renew the expiry while the user stays connected.
    fields.emplace_back("ttl", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(expiry).count()));
  }
  ctx.wait<storage::Status>([&](auto cb) {
    ctx.kv().hreplace(Db::auth, user_key(ctx.config(), name), fields, expiry, cb);
  });
  std::cout << "user " << name << " written" << (superuser ? " (superuser)" : "") << "\n";
  if (generated) std::cout << "password: " << password << "\n";
  return 0;
}

int del(Context& ctx, Args args) {
  need(args, 1, "user del <name>");
  auto r = ctx.wait<storage::Result<long long>>([&](auto cb) {
    ctx.kv().del(Db::auth, {user_key(ctx.config(), args[0]), acl_key(ctx.config(), args[0])}, cb);
  });
  std::cout << "user " << args[0] << ": " << r.value << " keys deleted";
  // Clients already connected go at the broker's next credential check (auth.credential_check).
  std::cout << "\n";
  return r.value ? 0 : 1;
}

int acl(Context& ctx, Args args) {
  need(args, 3, "user acl <name> <topic filter> <1|2|3|del>   (1 subscribe, 2 publish, 3 both)");
  const auto& access = args[2];
  auto key = acl_key(ctx.config(), args[0]);
  if (access == "del") {
    auto r = ctx.wait<storage::Result<long long>>([&](auto cb) { ctx.kv().hdel(Db::auth, key, {args[1]}, cb); });
    std::cout << (r.value ? "row deleted" : "no such row") << "\n";
    return r.value ? 0 : 1;
  }
  if (access != "1" && access != "2" && access != "3") throw UsageError("access must be 1, 2, 3 or del");
  ctx.wait<storage::Status>([&](auto cb) { ctx.kv().hset(Db::auth, key, {{args[1], access}}, cb); });
  std::cout << "acl " << args[0] << " " << args[1] << " " << access << "\n";
  return 0;
}

int show(Context& ctx, Args args) {
  need(args, 1, "user show <name>");
  auto user = ctx.wait<storage::Result<storage::Fields>>([&](auto cb) {
    ctx.kv().hgetall(Db::auth, user_key(ctx.config(), args[0]), cb);
  });
  if (user.value.empty()) {
    std::cout << "no user " << args[0] << "\n";
    return 1;
  }
  std::sort(user.value.begin(), user.value.end());
  for (const auto& [f, v] : user.value)
    std::cout << f << ": " << (f == "password" ? "(set)" : v) << "\n";  // never print secrets
  auto rows = ctx.wait<storage::Result<storage::Fields>>([&](auto cb) {
    ctx.kv().hgetall(Db::auth, acl_key(ctx.config(), args[0]), cb);
  });
  std::sort(rows.value.begin(), rows.value.end());
  for (const auto& [filter, access] : rows.value) std::cout << "acl " << filter << " " << access << "\n";
  return 0;
}

}  // namespace

int run_user(Context& ctx, const Args& args) {
  if (args.empty()) throw UsageError("usage: sakura-ctl user add|del|acl|show|list ...");
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "add") return add(ctx, rest);
  if (args[0] == "del") return del(ctx, rest);
  if (args[0] == "acl") return acl(ctx, rest);
  if (args[0] == "show") return show(ctx, rest);
  if (args[0] == "list" && rest.empty()) return list_users(ctx.config());
  throw UsageError("unknown user command '" + args[0] + "' (add, del, acl, show, list)");
}

}  // namespace ctl
