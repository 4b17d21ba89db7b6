// sakura-ctl device add: a lock's own MQTT user (username = lockno) limited to its own topics.
#include <iostream>

#include "auth/password.hpp"
#include "ctl.hpp"

namespace ctl {

namespace {

bool valid_lockno(const std::string& l) {
  if (l.size() != 11) return false;
  for (unsigned char c : l)
    if (c <= ' ' || c >= 0x7f || c == '/' || c == '+' || c == '#' || c == '%') return false;
  return true;
}

int add(Context& ctx, Args args) {
  std::string password = take_option(args, "--password");
  if (args.size() != 1) throw UsageError("usage: sakura-ctl device add <lockno> [--password P]");
  const std::string& lockno = args[0];
  if (!valid_lockno(lockno))
    throw UsageError("a lockno is 11 printable characters without '/', '+', '#', '%' or spaces");
  bool generated = password.empty();
  if (generated) password = auth::random_hex(12);
  auto user = credential_fields(ctx.config(), password);
  user.emplace_back(auth::kClientIdField, lockno);  // the lock's account connects as itself only
  const std::string t = "/" + lockno + "/";
  storage::Fields acl{{t + "statu", "2"}, {t + "fw", "2"}, {t + "call", "1"}, {t + "ota", "1"}};
  const std::chrono::milliseconds forever{0};
  // The ACL first: the user never exists without it (and without it would be denied anyway).
  ctx.wait<storage::Status>([&](auto cb) {
    ctx.kv().hreplace(storage::Db::auth, acl_key(ctx.config(), lockno), acl, forever, cb);
  });
  ctx.wait<storage::Status>([&](auto cb) {
    ctx.kv().hreplace(storage::Db::auth, user_key(ctx.config(), lockno), user, forever, cb);
  });
  std::cout << "device " << lockno << " provisioned: publish " << t << "statu " << t << "fw, subscribe "
            << t << "call " << t << "ota\n";
  if (generated) std::cout << "password: " << password << "\n";
  return 0;
}

}  // namespace

int run_device(Context& ctx, const Args& args) {
  if (args.empty() || args[0] != "add") throw UsageError("usage: sakura-ctl device add <lockno> [--password P]");
  return add(ctx, Args(args.begin() + 1, args.end()));
}

}  // namespace ctl
