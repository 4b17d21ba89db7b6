// CredentialStore over a real store (embedded always, Redis when SAKURA_TEST_REDIS is set): what
// issue() writes is what the authenticator accepts, under the configured key templates too; the
// listing walks a bounded scan; secrets never come back out; the owner index lists and forgets.
#include <algorithm>
#include <set>

#include "auth/authenticator.hpp"
#include "auth/credential_store.hpp"
#include "support.hpp"

using namespace auth;
using namespace auth_test;
using storage::Db;
using storage::Result;
using storage::Status;

namespace {

HashSpec pbkdf2() { return *parse_issued_hash_spec("pbkdf2,sha256,1000,32"); }

bool accepted(const std::shared_ptr<storage::KeyValue>& kv, AuthOptions o, const std::string& user,
              const std::string& password, const std::string& client_id) {
  auto a = std::make_shared<KvAuthenticator>(kv, std::move(o), quiet());
  broker::AuthRequest req;
  req.client.client_id = client_id;
  req.client.username = user;
  req.client.address = "127.0.0.1:40000";
  req.password = password;
  return wait<broker::AuthResult>([&](auto cb) { a->authenticate(req, cb); }).code ==
         broker::codec::ConnectReturn::accepted;
}

std::vector<std::string> all_users(CredentialStore& store, std::size_t page, int* pages = nullptr) {
  std::vector<std::string> out;
  std::string cursor;
  int n = 0;
  do {
    auto r = wait<Result<UserPage>>([&](auto cb) { store.list(cursor, page, cb); });
    REQUIRE_MESSAGE(r.ok, r.message);
    CHECK(r.value.usernames.size() <= std::max<std::size_t>(page, 10));  // Redis's COUNT is a hint
    out.insert(out.end(), r.value.usernames.begin(), r.value.usernames.end());
    cursor = r.value.cursor;
    REQUIRE(++n < 10000);
  } while (!cursor.empty());
  if (pages) *pages = n;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());  // SCAN may repeat a key
  return out;
}

}  // namespace

TEST_CASE("credential store: issue, read, authenticate, remove under custom key templates") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    const std::string ns = unique("cs") + ":";
    auto layout = CredentialLayout::parse("HMGET " + ns + "u:%u password salt", "HGETALL " + ns + "a:%u");
    REQUIRE(layout);
    CredentialStore store(s.kv, *layout, pbkdf2());

    auto lock = lock_credential("LK000000042", "lock-secret");
    REQUIRE(wait<Status>([&](auto cb) { store.issue(lock, cb); }).ok);
    NewCredential op;
    op.username = "ops/with+chars";
    op.password = "op-secret";
    op.superuser = true;
    op.ttl = 3600s;
    REQUIRE(wait<Status>([&](auto cb) { store.issue(op, cb); }).ok);

    // The layout is the templates': the default keys were never written.
    CHECK(s.exists(ns + "u:LK000000042"));
    CHECK(s.exists(ns + "a:LK000000042"));
    CHECK_FALSE(s.exists("mqtt_user:LK000000042"));

    AuthOptions o;
    o.hash = HashSpec{};  // plain for old records: issued ones name their own scheme
    o.auth_cmd = *CommandTemplate::parse("HMGET " + ns + "u:%u password salt", {CommandTemplate::Verb::hmget});
    o.super_cmd.reset();
    o.acl_cmd = *CommandTemplate::parse("HGETALL " + ns + "a:%u", {CommandTemplate::Verb::hgetall});
    CHECK(accepted(s.kv, o, "LK000000042", "lock-secret", "LK000000042"));
    CHECK_FALSE(accepted(s.kv, o, "LK000000042", "lock-secret", "LK000000043"));  // pinned client id
    CHECK_FALSE(accepted(s.kv, o, "LK000000042", "lock-secreT", "LK000000042"));
    CHECK(accepted(s.kv, o, "ops/with+chars", "op-secret", "any"));

    auto info = wait<Result<std::optional<CredentialInfo>>>([&](auto cb) { store.read("LK000000042", cb); });
    REQUIRE(info.ok);
    REQUIRE(info.value);
    CHECK(info.value->expires_in_ms == -1);
    CHECK(info.value->acl == storage::Fields{{"/LK000000042/call", "1"},
                                             {"/LK000000042/fw", "2"},
                                             {"/LK000000042/ota", "1"},
                                             {"/LK000000042/statu", "2"}});
    std::set<std::string> names;
    for (auto& [f, v] : info.value->fields) {
      names.insert(f);
      CHECK(v.find("lock-secret") == std::string::npos);
    }
    CHECK(names == std::set<std::string>{"clientid", "hash"});  // no password, no salt

    auto ops = wait<Result<std::optional<CredentialInfo>>>([&](auto cb) { store.read("ops/with+chars", cb); });
    REQUIRE(ops.value);
    CHECK(ops.value->expires_in_ms > 3500 * 1000);
    CHECK(ops.value->expires_in_ms <= 3600 * 1000);
    CHECK(std::count(ops.value->fields.begin(), ops.value->fields.end(),
                     std::pair<std::string, std::string>{"is_superuser", "1"}) == 1);
    CHECK(ops.value->acl.empty());

    REQUIRE(wait<Status>([&](auto cb) { store.set_acl("ops/with+chars", "/x/#", 3, cb); }).ok);
    CHECK_FALSE(wait<Status>([&](auto cb) { store.set_acl("ops/with+chars", "/x/#", 4, cb); }).ok);
    CHECK(wait<Result<bool>>([&](auto cb) { store.remove_acl("ops/with+chars", "/x/#", cb); }).value);
    CHECK_FALSE(wait<Result<bool>>([&](auto cb) { store.remove_acl("ops/with+chars", "/x/#", cb); }).value);

    CHECK(all_users(store, 1) == std::vector<std::string>{"LK000000042", "ops/with+chars"});

    CHECK(wait<Result<bool>>([&](auto cb) { store.remove("LK000000042", cb); }).value);
    CHECK_FALSE(wait<Result<bool>>([&](auto cb) { store.remove("LK000000042", cb); }).value);
    CHECK_FALSE(s.exists(ns + "a:LK000000042"));
    CHECK_FALSE(wait<Result<std::optional<CredentialInfo>>>([&](auto cb) { store.read("LK000000042", cb); }).value);
    CHECK_FALSE(accepted(s.kv, o, "LK000000042", "lock-secret", "LK000000042"));
  }
}

TEST_CASE("credential store: listing is a scan in bounded pages, glob characters literal") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    const std::string ns = unique("ls") + ":";
    CredentialStore store(s.kv, CredentialLayout(ns + "%u", ns + "acl:%u"), pbkdf2());
    std::vector<std::string> expected;
    for (int i = 0; i < 25; ++i) {
      auto name = "u" + std::to_string(100 + i);
      s.put(ns + name, {{"password", "p"}});
      expected.push_back(name);
    }
    s.put(ns + "*[x]?", {{"password", "p"}});  // a name with glob characters is listed as itself
    expected.push_back("*[x]?");
    s.put(ns.substr(0, ns.size() - 1) + "X-not-ours", {{"password", "p"}});  // shares all but the ':'
    std::sort(expected.begin(), expected.end());
    int pages = 0;
    auto got = all_users(store, 5, &pages);
    CHECK(got == expected);
    if (!redis) CHECK(pages >= 6);  // 26 keys, 5 a page: the embedded scan answers exact pages

    CredentialStore odd(s.kv, CredentialLayout("%u:" + ns, "a:%u"), pbkdf2());
    auto r = wait<Result<UserPage>>([&](auto cb) { odd.list("", 10, cb); });
    CHECK_FALSE(r.ok);  // a key that does not start with a fixed prefix cannot be scanned
  }
}

TEST_CASE("credential store: an owner's issued keys, with expiry, and forgetting them") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    const std::string ns = unique("ow") + ":";
    CredentialStore store(s.kv, CredentialLayout(ns + "u:%u", ns + "a:%u"), pbkdf2());
    const std::string owner = unique("openid-");
    for (const char* k : {"key-a", "key-b"}) {
      NewCredential c;
      c.username = k;
      c.password = "pw";
      c.ttl = 600s;
      c.owner = owner;
      c.acl = {{"/unauth", "2"}};
      REQUIRE(wait<Status>([&](auto cb) { store.issue(c, cb); }).ok);
    }
    auto keys = wait<Result<std::vector<IssuedKey>>>([&](auto cb) { store.issued_to(owner, cb); });
    REQUIRE(keys.ok);
    REQUIRE(keys.value.size() == 2);
    for (auto& k : keys.value) {
      CHECK(k.expires_in_ms > 590 * 1000);
      CHECK(k.issued_ms > 0);
    }
    REQUIRE(wait<Result<bool>>([&](auto cb) { store.remove("key-a", cb); }).value);
    keys = wait<Result<std::vector<IssuedKey>>>([&](auto cb) { store.issued_to(owner, cb); });
    REQUIRE(keys.value.size() == 2);  // the index still names it, as gone
    for (auto& k : keys.value)
      if (k.username == "key-a") CHECK(k.expires_in_ms == -2);

    REQUIRE(wait<Status>([&](auto cb) { store.forget(owner, {"key-a"}, cb); }).ok);
    keys = wait<Result<std::vector<IssuedKey>>>([&](auto cb) { store.issued_to(owner, cb); });
    REQUIRE(keys.value.size() == 1);
    CHECK(keys.value[0].username == "key-b");
    REQUIRE(wait<Status>([&](auto cb) { store.forget(owner, {}, cb); }).ok);
    CHECK(wait<Result<std::vector<IssuedKey>>>([&](auto cb) { store.issued_to(owner, cb); }).value.empty());
  }
}
