// KvAuthenticator and CredentialKeeper over a real store: the embedded backend always, and Redis
// too when SAKURA_TEST_REDIS is set. Each case writes keys the way the old Python login or an
// operator's script did and checks the CONNECT decision and the resulting ACL.
#include <doctest/doctest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "auth/authenticator.hpp"
#include "auth/credential_keeper.hpp"
#include "storage/open.hpp"
#include "support.hpp"

using namespace auth;
using namespace auth_test;
using namespace std::chrono_literals;
using broker::codec::ConnectReturn;

namespace {

broker::AuthResult login(KvAuthenticator& a, std::optional<std::string> user, std::optional<std::string> password,
                         std::string client_id = "cid", std::string address = "127.0.0.1:40000") {
  broker::AuthRequest req;
  req.client.client_id = std::move(client_id);
  req.client.username = std::move(user);
  req.client.address = std::move(address);
  req.password = std::move(password);
  return wait<broker::AuthResult>([&](auto cb) { a.authenticate(req, cb); });
}

std::shared_ptr<KvAuthenticator> make(Store& s, AuthOptions o = {},
                                      std::shared_ptr<CredentialKeeper> keeper = nullptr) {
  return std::make_shared<KvAuthenticator>(s.kv, std::move(o), quiet(), std::move(keeper));
}

// Records what the keeper asks of the broker; the store it talks to is real.
struct RecordingControl final : broker::BrokerControl {
  std::mutex mutex;
  std::vector<std::string> disconnected;
  void publish(broker::MessagePtr) override {}
  void publish_now(broker::MessagePtr, std::function<void(std::vector<std::string>)> done) override { done({}); }
  void disconnect_user(const std::string& u) override {
    std::lock_guard lock(mutex);
    disconnected.push_back(u);
  }
  void run_after(std::chrono::milliseconds, std::function<void()>) override {}
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex);
    return disconnected;
  }
};

}  // namespace

TEST_CASE("old Python login keys: accepted with exactly their ACL") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    auto key = unique("k");
    s.put("mqtt_user:" + key, {{"password", "pw=="}});
    s.put("mqtt_acl:" + key, {{"/L0000000001/#", "1"}, {"/L0000000001/m", "2"}, {"/unauth", "2"}});
    auto a = make(s);
    auto r = login(*a, key, "pw==");
    REQUIRE(r.code == ConnectReturn::accepted);
    CHECK_FALSE(r.superuser);
    REQUIRE(r.acl);
    CHECK(r.acl->allow_subscribe("/L0000000001/#"));
    CHECK(r.acl->allow_publish("/L0000000001/m"));
    CHECK_FALSE(r.acl->allow_publish("/L0000000001/f"));
    CHECK_FALSE(r.acl->allow_subscribe("/L0000000002/#"));
    CHECK_FALSE(r.acl->allow_subscribe("#"));

    CHECK(login(*a, key, "pw=").code == ConnectReturn::not_authorized);
    CHECK(login(*a, key, std::nullopt).code == ConnectReturn::not_authorized);
    CHECK(login(*a, unique("nobody"), "pw==").code == ConnectReturn::not_authorized);
    CHECK(login(*a, std::nullopt, std::nullopt).code == ConnectReturn::not_authorized);
    CHECK(a->stats().accepted == 1);
    CHECK(a->stats().bad_password == 2);
    CHECK(a->stats().unknown_user == 1);
    CHECK(a->stats().anonymous_refused == 1);
  }
}

TEST_CASE("superuser is exactly \"1\" and skips ACL; no rows fall to acl_nomatch") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    auto root = unique("root"), fake = unique("fake"), plain = unique("plain");
    s.put("mqtt_user:" + root, {{"password", "x"}, {"is_superuser", "1"}});
    s.put("mqtt_user:" + fake, {{"password", "x"}, {"is_superuser", "true"}});
    s.put("mqtt_user:" + plain, {{"password", "x"}});
    auto deny = make(s);
    auto r = login(*deny, root, "x");
    CHECK(r.code == ConnectReturn::accepted);
    CHECK(r.superuser);
    CHECK_FALSE(r.acl);
    r = login(*deny, fake, "x");
    CHECK_FALSE(r.superuser);
    REQUIRE(r.acl);
    CHECK_FALSE(r.acl->allow_publish("/a"));
    AuthOptions o;
    o.nomatch_allow = true;
    auto allow = make(s, o);
    r = login(*allow, plain, "x");
    REQUIRE(r.acl);
    CHECK(r.acl->allow_publish("/a"));
    CHECK(r.acl->allow_subscribe("#"));
  }
}

TEST_CASE("salted and slow hashes through the store") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    for (const char* scheme : {"salt,sha256", "sha512,salt", "bcrypt", "pbkdf2"}) {
      CAPTURE(scheme);
      AuthOptions o;
      o.hash = *parse_hash_spec(scheme);
      auto user = unique("u");
      auto stored = make_password(o.hash, "right");
      storage::Fields f{{"password", stored.hash}};
      if (!stored.salt.empty()) f.emplace_back("salt", stored.salt);
      s.put("mqtt_user:" + user, f);
      auto a = make(s, o);
      CHECK(login(*a, user, "right").code == ConnectReturn::accepted);
      CHECK(login(*a, user, "wrong").code == ConnectReturn::not_authorized);
    }
  }
}

TEST_CASE("a credential naming its own hash is checked with it; legacy ones keep auth.password_hash") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    AuthOptions o;  // auth.password_hash = plain, as the old system
    auto issued = unique("i"), legacy = unique("l"), odd = unique("o");
    auto fields = issued_credential(*parse_issued_hash_spec("pbkdf2,sha256,1000,32"), "right");
    CHECK(fields.size() == 3);  // password, salt, hash
    CHECK(fields[0].second != "right");
    s.put("mqtt_user:" + issued, fields);
    s.put("mqtt_user:" + legacy, {{"password", "right"}});
    s.put("mqtt_user:" + odd, {{"password", "right"}, {"hash", "rot13"}});
    auto a = make(s, o);
    CHECK(login(*a, issued, "right").code == ConnectReturn::accepted);
    CHECK(login(*a, issued, "wrong").code == ConnectReturn::not_authorized);
    CHECK(login(*a, issued, fields[0].second).code == ConnectReturn::not_authorized);  // the stored hash is no password
    CHECK(login(*a, legacy, "right").code == ConnectReturn::accepted);
    CHECK(login(*a, odd, "right").code == ConnectReturn::not_authorized);  // fails closed
    // An auth_cmd that reads no salt still finds an issued credential's own.
    AuthOptions nosalt;
    using V = CommandTemplate::Verb;
    nosalt.auth_cmd = *CommandTemplate::parse("HMGET mqtt_user:%u password", {V::hmget});
    CHECK(login(*make(s, nosalt), issued, "right").code == ConnectReturn::accepted);
  }
}

TEST_CASE("an account pinned to a client id connects only as that client id") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    auto lock = unique("L"), other = unique("L"), legacy = unique("L");
    s.put("mqtt_user:" + lock, {{"password", "p"}, {"clientid", lock}});
    s.put("mqtt_user:" + legacy, {{"password", "p"}});
    auto a = make(s);
    CHECK(login(*a, lock, "p", lock).code == ConnectReturn::accepted);
    CHECK(login(*a, lock, "p", other).code == ConnectReturn::identifier_rejected);
    CHECK(login(*a, lock, "p", "").code == ConnectReturn::identifier_rejected);
    CHECK(login(*a, lock, "wrong", other).code == ConnectReturn::not_authorized);  // password first
    CHECK(a->stats().client_id_refused == 2);
    CHECK(login(*a, legacy, "p", other).code == ConnectReturn::accepted);  // no pin: as before
  }
}

TEST_CASE("a pinned client id is reserved: another account cannot log in under it") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    auto lock = unique("L"), legacy = unique("L"), phone = unique("phone"), admin = unique("admin");
    s.put("mqtt_user:" + lock, {{"password", "p"}, {"clientid", lock}});
    s.put("mqtt_user:" + legacy, {{"password", "p"}});
    s.put("mqtt_user:" + phone, {{"password", "p"}});
    s.put("mqtt_user:" + admin, {{"password", "p"}, {"is_superuser", "1"}});
    auto a = make(s);
    // The squat: a phone's own right password under a lock's id, refused before any session.
    CHECK(login(*a, phone, "p", lock).code == ConnectReturn::identifier_rejected);
    CHECK(a->stats().client_id_refused == 1);
    CHECK(a->stats().bad_password == 0);  // not a failed login: no throttling of the phone
    // An id nobody pins, or pinned by nobody (an unpinned legacy lock), stays free as before.
    CHECK(login(*a, phone, "p", legacy).code == ConnectReturn::accepted);
    CHECK(login(*a, phone, "p", phone).code == ConnectReturn::accepted);
    // Operators' tools (superusers) are not refused.
    CHECK(login(*a, admin, "p", lock).code == ConnectReturn::accepted);
    // The owner itself is told it owns the id, so the broker can end a squatter's session.
    auto own = login(*a, lock, "p", lock);
    CHECK(own.code == ConnectReturn::accepted);
    CHECK(own.owns_client_id);
    CHECK_FALSE(login(*a, phone, "p", phone).owns_client_id);
  }
}

TEST_CASE("custom templates: %c in the key and is_superuser read by auth_cmd") {
  Store s(nullptr);
  AuthOptions o;
  using V = CommandTemplate::Verb;
  o.auth_cmd = *CommandTemplate::parse("HMGET dev:%c:%u password is_superuser", {V::hmget});
  o.acl_cmd = *CommandTemplate::parse("HGETALL devacl:%u", {V::hgetall});
  s.put("dev:phone:bob", {{"password", "p"}, {"is_superuser", "1"}});
  s.put("dev:tablet:bob", {{"password", "p"}});
  s.put("devacl:bob", {{"/bob/#", "3"}});
  auto a = make(s, o);
  auto r = login(*a, "bob", "p", "phone");
  CHECK(r.code == ConnectReturn::accepted);
  CHECK(r.superuser);
  r = login(*a, "bob", "p", "tablet");
  CHECK(r.code == ConnectReturn::accepted);
  CHECK_FALSE(r.superuser);
  REQUIRE(r.acl);
  CHECK(r.acl->allow_publish("/bob/x"));
  CHECK(login(*a, "bob", "p", "laptop").code == ConnectReturn::not_authorized);
}

TEST_CASE("hostile usernames stay one key") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    auto a = make(s);
    const std::string victim = unique("victim");
    s.put("mqtt_user:" + victim, {{"password", "v"}});
    for (std::string name :
         {victim + " password", "a\r\nDEL mqtt_user:" + victim + "\r\n", std::string("%u%c%%") + victim,
          std::string(60000, 'x'), std::string("nul\0byte", 8), std::string("*1\r\n$4\r\nPING")}) {
      CAPTURE(name.size());
      s.put("mqtt_user:" + name, {{"password", "own"}});
      CHECK(login(*a, name, "own").code == ConnectReturn::accepted);
      CHECK(login(*a, name, "v").code == ConnectReturn::not_authorized);
    }
    CHECK(s.exists("mqtt_user:" + victim));
    CHECK(login(*a, victim, "v").code == ConnectReturn::accepted);
  }
}

TEST_CASE("brute force: throttled per (username, address), per address, and per username for new addresses") {
  Store s(nullptr);
  AuthOptions o;
  o.throttle.per_pair.free_failures = 3;
  o.throttle.per_pair.base = 60s;
  o.throttle.per_address.free_failures = 5;
  o.throttle.per_address.base = 60s;
  o.throttle.per_user.free_failures = 8;
  o.throttle.per_user.base = 60s;
  auto a = make(s, o);
  s.put("mqtt_user:lock", {{"password", "right"}});
  s.put("mqtt_user:other", {{"password", "right"}});
  CHECK(login(*a, "lock", "right", "c", "10.0.0.7:1").code == ConnectReturn::accepted);
  for (int i = 0; i < 4; ++i) login(*a, "lock", "guess", "c", "10.0.0.1:1");
  // The guessing address is blocked for this user, even with the right password...
  CHECK(login(*a, "lock", "right", "c", "10.0.0.1:2").code == ConnectReturn::not_authorized);
  CHECK(a->stats().throttled == 1);
  CHECK(a->throttle().stats().pair_blocks == 1);
  // ...while the lock from any other address is not, and neither are other users.
  CHECK(login(*a, "lock", "right", "c", "10.0.0.9:1").code == ConnectReturn::accepted);
  CHECK(login(*a, "other", "right", "c", "10.0.0.1:1").code == ConnectReturn::accepted);
  login(*a, "other", "guess", "c", "10.0.0.1:1");  // fifth failure of 10.0.0.1
  login(*a, "nobody", "guess", "c", "10.0.0.1:1");
  CHECK(a->throttle().stats().address_blocks == 1);
  CHECK(login(*a, "other", "right", "c", "10.0.0.1:2").code == ConnectReturn::not_authorized);
  CHECK(login(*a, "other", "right", "c", "10.0.0.2:1").code == ConnectReturn::accepted);
  CHECK(a->stats().throttled == 2);
  // Guessing for "lock" from many addresses: past 8 failures in all, addresses that never logged
  // in as "lock" wait; the ones that did (10.0.0.7, 10.0.0.9) keep working.
  for (int i = 0; i < 5; ++i) login(*a, "lock", "guess", "c", "10.0.1." + std::to_string(i) + ":1");
  CHECK(a->throttle().stats().user_blocks == 1);
  CHECK(login(*a, "lock", "right", "c", "10.0.2.1:1").code == ConnectReturn::not_authorized);
  CHECK(login(*a, "lock", "right", "c", "10.0.0.7:5").code == ConnectReturn::accepted);
  CHECK(login(*a, "lock", "right", "c", "10.0.0.9:5").code == ConnectReturn::accepted);
}

TEST_CASE("throttle keys are fixed-size: a hashed username, an IPv4 address, an IPv6 /64") {
  LoginThrottle t({});
  auto big = t.keys(std::string(65535, 'u'), "10.0.0.1:1");
  CHECK(big.user.size() == 16);
  CHECK(big.pair.size() == 16 + 5);
  CHECK(t.keys("u", "10.0.0.1:1").user != t.keys("v", "10.0.0.1:1").user);
  CHECK(t.keys("u", "[2001:db8::1]:1").address == t.keys("u", "[2001:db8::ffff:1]:2").address);
  CHECK(t.keys("u", "[2001:db8:0:1::1]:1").address != t.keys("u", "[2001:db8::1]:1").address);
  CHECK(t.keys("u", "[::ffff:10.0.0.1]:1").address == t.keys("u", "10.0.0.1:9").address);
  // Another process (another salt) keys the same name differently: no precomputed collisions.
  LoginThrottle other({});
  CHECK(other.keys("u", "10.0.0.1:1").user != t.keys("u", "10.0.0.1:1").user);
}

TEST_CASE("store down: refused with 5, fast") {
  // A port nothing listens on: connect fails at once, operations fail fast meanwhile.
  Store s("127.0.0.1:1");
  auto a = make(s);
  auto start = std::chrono::steady_clock::now();
  auto r = login(*a, "someone", "pw");
  CHECK(r.code == ConnectReturn::not_authorized);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(a->stats().store_errors == 1);
  // Store errors are not the client's fault: no throttling from them.
  for (int i = 0; i < 10; ++i) login(*a, "someone", "pw");
  CHECK(a->stats().throttled == 0);
}

TEST_CASE("keeper: revoke deletes then disconnects; vanished credentials disconnect") {
  for (const char* redis : backends()) {
    CAPTURE(redis ? redis : "embedded");
    Store s(redis);
    RecordingControl control;
    auto keeper = std::make_shared<CredentialKeeper>(
        std::make_shared<CredentialStore>(s.kv, CredentialLayout(), HashSpec{}), 0ms, quiet());
    keeper->start(control);
    auto a = make(s, {}, keeper);
    auto user = unique("u"), gone = unique("g"), session = unique("s");
    for (auto& u : {user, gone, session}) {
      s.put("mqtt_user:" + u, {{"password", "p"}});
      s.put("mqtt_acl:" + u, {{"/x", "3"}});
    }
    s.put("mqtt_user:" + session, {{"password", "p"}, {"ttl", "3600"}});
    for (auto& u : {user, gone, session}) {
      REQUIRE(login(*a, u, "p").code == ConnectReturn::accepted);
      broker::ClientInfo info;
      info.username = u;
      info.client_id = "c-" + u;
      keeper->on_connected(info);
    }
    CHECK(keeper->tracked_users() == 3);

    auto st = wait<storage::Result<bool>>([&](auto cb) { keeper->revoke(user, cb); });
    CHECK(st.ok);
    CHECK_FALSE(s.exists("mqtt_user:" + user));
    CHECK_FALSE(s.exists("mqtt_acl:" + user));
    CHECK(control.seen() == std::vector<std::string>{user});
    CHECK(login(*a, user, "p").code == ConnectReturn::not_authorized);
    {
      broker::ClientInfo info;  // what the broker reports once it has dropped the client
      info.username = user;
      info.client_id = "c-" + user;
      keeper->on_disconnected(info, broker::DisconnectReason::revoked);
    }
    CHECK(keeper->tracked_users() == 2);

    // Deleted behind our back (an operator's DEL): the next check disconnects it. The session
    // credential would expire in 0.8 s; the check renews it to its ttl field (1 h).
    wait<storage::Result<long long>>([&](auto cb) { s.kv->del(storage::Db::auth, {"mqtt_user:" + gone}, cb); });
    // The session credential is about to expire (set just before the check, so slow steps
    // earlier in the test cannot let it expire first).
    for (auto key : {"mqtt_user:" + session, "mqtt_acl:" + session})
      REQUIRE(wait<storage::Result<bool>>([&](auto cb) { s.kv->expire(storage::Db::auth, key, 800ms, cb); }).value);
    keeper->check_now();
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (control.seen().size() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    CHECK(control.seen() == std::vector<std::string>{user, gone});
    CHECK(keeper->stats().renewed == 1);
    // Renewed: still there after the original 0.8 s expiry would have removed it.
    std::this_thread::sleep_for(1200ms);
    CHECK(s.exists("mqtt_user:" + session));
    CHECK(s.exists("mqtt_acl:" + session));
    CHECK(login(*a, session, "p").code == ConnectReturn::accepted);
  }
}
