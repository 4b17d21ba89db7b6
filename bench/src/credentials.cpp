#include "credentials.hpp"

#include <hiredis/hiredis.h>

#include <memory>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "bench/plan.hpp"
#include "common/base64.hpp"

namespace bench {
namespace {

std::string random_bytes(const std::string& run, std::uint64_t lock, char tag, std::size_t n) {
  std::seed_seq seed(run.begin(), run.end());
  std::vector<std::uint32_t> base(4);
  seed.generate(base.begin(), base.end());
  std::seed_seq mixed{base[0],
                      base[1],
                      base[2],
                      base[3],
                      static_cast<std::uint32_t>(lock),
                      static_cast<std::uint32_t>(lock >> 32),
                      static_cast<std::uint32_t>(tag)};
  std::mt19937_64 rng(mixed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

struct RedisFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

}  // namespace

Credential owner_credential(const std::string& run, std::uint64_t lock, char morf) {
  return {common::base64_encode(random_bytes(run, lock, morf, 16)),
          common::base64_encode(random_bytes(run, lock, static_cast<char>(morf ^ 0x20), 8))};
}

Credential lock_credential(const std::string& run, std::uint64_t lock) {
  return {lockno(lock), common::base64_encode(random_bytes(run, lock, 'L', 8))};
}

Credential responder_credential(const std::string& run) {
  return {"sakura-bench-responder-" + run, common::base64_encode(random_bytes(run, 0, 'R', 8))};
}

std::string store_credentials(const std::string& host_port, const std::string& run, std::uint64_t locks, bool responder,
                              bool remove) {
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos) return "--auth-redis wants HOST:PORT";
  std::string host = host_port.substr(0, colon);
  int port = std::atoi(host_port.c_str() + colon + 1);
  timeval tv{5, 0};
  std::unique_ptr<redisContext, RedisFree> ctx(redisConnectWithTimeout(host.c_str(), port, tv));
  if (!ctx || ctx->err) return fmt::format("redis {}: {}", host_port, ctx ? ctx->errstr : "out of memory");
  // Pipelined: 18,000 users are 36,000 commands, one round trip each would take seconds.
  std::size_t queued = 0;
  auto user = [&](const Credential& c, bool superuser, const std::vector<std::pair<std::string, int>>& acl) {
    std::string u = "mqtt_user:" + c.username, a = "mqtt_acl:" + c.username;
    if (remove) {
      redisAppendCommand(ctx.get(), "DEL %s %s", u.c_str(), a.c_str());
      ++queued;
      return;
    }
    // A row left by an earlier run would widen the whitelist.
    redisAppendCommand(ctx.get(), "DEL %s", a.c_str());
    ++queued;
    redisAppendCommand(ctx.get(), "HSET %s password %s is_superuser %s", u.c_str(), c.password.c_str(),
                       superuser ? "1" : "0");
    ++queued;
    for (auto& [filter, access] : acl) {
      redisAppendCommand(ctx.get(), "HSET %s %s %d", a.c_str(), filter.c_str(), access);
      ++queued;
    }
  };
  std::string error;
  auto drain = [&] {
    for (; queued > 0; --queued) {
      void* raw = nullptr;
      if (redisGetReply(ctx.get(), &raw) != REDIS_OK) {
        error = fmt::format("redis {}: {}", host_port, ctx->errstr);
        return false;
      }
      std::unique_ptr<redisReply, ReplyFree> reply(static_cast<redisReply*>(raw));
      if (reply->type == REDIS_REPLY_ERROR && error.empty()) error = fmt::format("redis: {}", reply->str);
    }
    return error.empty();
  };
  for (std::uint64_t i = 0; i < locks; ++i) {
    auto l = lockno(i);
    user(lock_credential(run, i), false, {{"/" + l + "/call", 1}, {"/" + l + "/statu", 2}, {"/" + l + "/fw", 2}});
    for (char morf : {'m', 'f'})
      user(owner_credential(run, i, morf), false, {{"/" + l + "/#", 1}, {"/" + l + "/" + morf, 2}, {"/unauth", 2}});
    if (queued > 4096 && !drain()) return error;
  }
  if (responder) user(responder_credential(run), true, {});
  drain();
  return error;
}

}  // namespace bench
