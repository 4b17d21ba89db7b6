#include "redis_key_value.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace storage::detail {
namespace {

using Type = RedisReply::Type;

// KEYS[1] = the other role's key, KEYS[2] = this role's key, ARGV[1] = window in ms.
// DEL answers 1 only to the one caller that removed the key: two racing owners cannot both pair.
const char* const kPairScript = R"lua(
if redis.call('DEL', KEYS[1]) == 1 then return 1 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 0
)lua";

// KEYS[1] = the hash, ARGV[1] = ttl ms (0 = none), then field, value pairs.
const char* const kHreplaceScript = R"lua(
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if #ARGV > 1 and tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
)lua";

std::string sha1_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

// Turns a transport failure or an error reply into a failed Result, else applies `convert`.
template <class T, class Convert>
RedisConnection::Done reply_to(KeyValue::Callback<T> done, Convert convert) {
  return [done = std::move(done), convert = std::move(convert)](Result<RedisReply> r) {
    if (!done) return;
    if (!r.ok) return done(Result<T>::failure(r.message));
    if (r.value.type == Type::error) return done(Result<T>::failure(r.value.str));
    done(convert(r.value));
  };
}

RedisConnection::Done status_to(KeyValue::StatusCallback done) {
  return [done = std::move(done)](Result<RedisReply> r) {
    if (!done) return;
    if (!r.ok) return done(Status::failure(r.message));
    if (r.value.type == Type::error) return done(Status::failure(r.value.str));
    done(Status::success());
  };
}

std::optional<std::string> optional_string(const RedisReply& r) {
  if (r.type == Type::nil) return std::nullopt;
  return r.str;
}

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()); }

}  // namespace

RedisKeyValue::RedisKeyValue(boost::asio::io_context& io, const RedisConfig& config,
                             std::shared_ptr<spdlog::logger> log)
    : auth_(std::make_shared<RedisConnection>(io, config, config.auth_db, log)),
      lock_(std::make_shared<RedisConnection>(io, config, config.lock_db, log)),
      pair_script_{kPairScript, sha1_hex(kPairScript)},
      hreplace_script_{kHreplaceScript, sha1_hex(kHreplaceScript)} {
  auth_->start();
  lock_->start();
}

RedisKeyValue::~RedisKeyValue() {
  auth_->stop();
  lock_->stop();
}

void RedisKeyValue::abandon() {
  auth_->abandon();
  lock_->abandon();
}

void RedisKeyValue::eval(Db db, const Script& script, std::vector<std::string> keys_then_args, size_t nkeys,
                         RedisConnection::Done done) {
  std::vector<std::string> argv = {"EVALSHA", script.sha1, std::to_string(nkeys)};
  argv.insert(argv.end(), keys_then_args.begin(), keys_then_args.end());
  auto connection = db == Db::auth ? auth_ : lock_;
  std::string body = script.body;
  connection->command(argv, [connection, argv, body, done = std::move(done)](Result<RedisReply> r) mutable {
    if (r.ok && r.value.type == Type::error && r.value.str.rfind("NOSCRIPT", 0) == 0) {
      argv[0] = "EVAL";
      argv[1] = body;  // EVAL also loads the script, so the next EVALSHA finds it
      connection->command(std::move(argv), std::move(done));
      return;
    }
    done(std::move(r));
  });
}

void RedisKeyValue::hmget(Db db, std::string key, std::vector<std::string> fields,
                          Callback<std::vector<std::optional<std::string>>> done) {
  using V = std::vector<std::optional<std::string>>;
  std::vector<std::string> argv = {"HMGET", std::move(key)};
  argv.insert(argv.end(), fields.begin(), fields.end());
  conn(db).command(std::move(argv), reply_to<V>(std::move(done), [](const RedisReply& r) {
                     V out;
                     for (const auto& e : r.elements) out.push_back(optional_string(e));
                     return Result<V>::success(std::move(out));
                   }));
}

void RedisKeyValue::hgetall(Db db, std::string key, Callback<Fields> done) {
  conn(db).command({"HGETALL", std::move(key)}, reply_to<Fields>(std::move(done), [](const RedisReply& r) {
                     Fields out;
                     for (size_t i = 0; i + 1 < r.elements.size(); i += 2)
                       out.emplace_back(r.elements[i].str, r.elements[i + 1].str);
                     return Result<Fields>::success(std::move(out));
                   }));
}

void RedisKeyValue::hset(Db db, std::string key, Fields fields, StatusCallback done) {
  if (fields.empty()) {  // Redis rejects an HSET without fields; nothing to do is success
    if (done) done(Status::success());
    return;
  }
  std::vector<std::string> argv = {"HSET", std::move(key)};
  for (auto& [f, v] : fields) {
    argv.push_back(std::move(f));
    argv.push_back(std::move(v));
  }
  conn(db).command(std::move(argv), status_to(std::move(done)));
}

void RedisKeyValue::hreplace(Db db, std::string key, Fields fields, std::chrono::milliseconds ttl,
                             StatusCallback done) {
  std::vector<std::string> args = {std::move(key), ms(ttl)};
  for (auto& [f, v] : fields) {
    args.push_back(std::move(f));
    args.push_back(std::move(v));
  }
  eval(db, hreplace_script_, std::move(args), 1, status_to(std::move(done)));
}

void RedisKeyValue::hdel(Db db, std::string key, std::vector<std::string> fields, Callback<long long> done) {
  std::vector<std::string> argv = {"HDEL", std::move(key)};
  argv.insert(argv.end(), fields.begin(), fields.end());
  conn(db).command(std::move(argv), reply_to<long long>(std::move(done), [](const RedisReply& r) {
                     return Result<long long>::success(r.integer);
                   }));
}

void RedisKeyValue::del(Db db, std::vector<std::string> keys, Callback<long long> done) {
  if (keys.empty()) {
    if (done) done(Result<long long>::success(0));
    return;
  }
  std::vector<std::string> argv = {"DEL"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  conn(db).command(std::move(argv), reply_to<long long>(std::move(done), [](const RedisReply& r) {
                     return Result<long long>::success(r.integer);
                   }));
}

void RedisKeyValue::set(Db db, std::string key, std::string value, std::chrono::milliseconds ttl, StatusCallback done) {
  std::vector<std::string> argv = {"SET", std::move(key), std::move(value)};
  if (ttl.count() > 0) {
    argv.push_back("PX");
    argv.push_back(ms(ttl));
  }
  conn(db).command(std::move(argv), status_to(std::move(done)));
}

void RedisKeyValue::get(Db db, std::string key, Callback<std::optional<std::string>> done) {
  using V = std::optional<std::string>;
  conn(db).command({"GET", std::move(key)}, reply_to<V>(std::move(done), [](const RedisReply& r) {
                     return Result<V>::success(optional_string(r));
                   }));
}

void RedisKeyValue::exists(Db db, std::string key, Callback<bool> done) {
  conn(db).command({"EXISTS", std::move(key)}, reply_to<bool>(std::move(done), [](const RedisReply& r) {
                     return Result<bool>::success(r.integer > 0);
                   }));
}

void RedisKeyValue::expire(Db db, std::string key, std::chrono::milliseconds ttl, Callback<bool> done) {
  conn(db).command({"PEXPIRE", std::move(key), ms(ttl)}, reply_to<bool>(std::move(done), [](const RedisReply& r) {
                     return Result<bool>::success(r.integer == 1);
                   }));
}

void RedisKeyValue::pttl(Db db, std::string key, Callback<long long> done) {
  conn(db).command({"PTTL", std::move(key)}, reply_to<long long>(std::move(done), [](const RedisReply& r) {
                     return Result<long long>::success(r.integer);
                   }));
}

void RedisKeyValue::scan(Db db, std::string prefix, std::string cursor, std::size_t count, Callback<ScanPage> done) {
  std::string pattern;  // the prefix taken literally, then any rest
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('*');
  count = std::clamp<std::size_t>(count, 1, kMaxScanCount);
  conn(db).command(
      {"SCAN", cursor.empty() ? "0" : std::move(cursor), "MATCH", std::move(pattern), "COUNT", std::to_string(count)},
      reply_to<ScanPage>(std::move(done), [](const RedisReply& r) {
        if (r.elements.size() != 2) return Result<ScanPage>::failure("SCAN: unexpected reply");
        ScanPage page;
        if (r.elements[0].str != "0") page.cursor = r.elements[0].str;
        for (const auto& k : r.elements[1].elements) page.keys.push_back(k.str);
        return Result<ScanPage>::success(std::move(page));
      }));
}

void RedisKeyValue::pair_unlock(std::string lockno, char role, std::chrono::milliseconds window,
                                Callback<PairOutcome> done) {
  if (role != 'm' && role != 'f') {
    if (done) done(Result<PairOutcome>::failure("role must be 'm' or 'f'"));
    return;
  }
  std::string other = lockno + '_' + (role == 'm' ? 'f' : 'm');
  std::string mine = lockno + '_' + role;
  eval(Db::lock, pair_script_, {other, mine, ms(window)}, 2,
       reply_to<PairOutcome>(std::move(done), [](const RedisReply& r) {
         return Result<PairOutcome>::success(r.integer == 1 ? PairOutcome::paired : PairOutcome::waiting);
       }));
}

}  // namespace storage::detail
