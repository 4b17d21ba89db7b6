// Password hashes against vectors computed outside Sakura: Python's hashlib / crypt and
// `openssl dgst` (commands in the comments), for password "p@ss w0rd" and salt "s4lt".
#include <doctest/doctest.h>

#include "auth/password.hpp"

using namespace auth;

namespace {
const std::string pw = "p@ss w0rd";
const std::string salt = "s4lt";

HashSpec spec(const char* text) {
  auto s = parse_hash_spec(text);
  REQUIRE(s);
  return *s;
}

struct Vector {
  const char* scheme;
  const char* hash;
};
// python3 -c 'import hashlib; print(hashlib.new("sha256", b"s4lt" + b"p@ss w0rd").hexdigest())'
// echo -n 'p@ss w0rd' | openssl dgst -sha256
const Vector kVectors[] = {
    {"md5", "23dbdf3e325c805dd816b0700c11f831"},
    {"salt,md5", "110f213250145a43d034da564f14a125"},
    {"md5,salt", "9c35c707207d79cbd2ba720d51cd4733"},
    {"sha", "86487875252df6f7e11379c84700de3b19a10fbc"},
    {"salt,sha", "f3b9e469a4683a0bce840bb94bdff096915511ab"},
    {"sha,salt", "28a6e81b6f0409bd8672fa55ce2fec62d38d962c"},
    {"sha256", "f7a967f719e88fd3effa42b867d13d3530a3b69c894f82ec1f70a2c7061cc770"},
    {"salt,sha256", "2ca1ba52a154197f1f57f54382f88f2d0ffb4942990166c778e2690da2877d97"},
    {"sha256,salt", "45ca073325df25cfd1c49597b028afcd5e55a58e990f1711df96464ae3b74bac"},
    {"sha512",
     "2403937a7bedca3ed13d36d3addd8b6675fe54d0d11a6c724f062f6bf1aa674ee68e96eef735d244f148115e71f1"
     "df3041f1161df6f18ed37949114346d6cd7d"},
    {"salt,sha512",
     "3419ce8a350f8b42080ea440977b2c8261ed09849e018538026012e186a8063789d01662d0a2d9b59d5306a373d1"
     "66319fcf53745effd2e47794380f75fb6f20"},
    {"sha512,salt",
     "fc65e3e40f2253cb158c54ca4fdff0c76f77c0a346e6e115fd0a2bf709f5ba95650da577e2379a1b7fad419fcd1e"
     "0ab53c5aadb8947e51de43b9896599f33205"},
    // hashlib.pbkdf2_hmac("sha256", b"p@ss w0rd", b"s4lt", 1000, 20).hex()
    {"pbkdf2", "ce3d8fe5c4209c83f19e2ddf8e187a70ba3bfca6"},
    // hashlib.pbkdf2_hmac("sha1", b"p@ss w0rd", b"s4lt", 4096, 32).hex()
    {"pbkdf2,sha,4096,32", "4598c9fa0a98e5790702cefef7d69d62decd4f2ee4227d44f3b6b7e9c0a4baa7"},
};
}  // namespace

TEST_CASE("digest schemes match independently computed vectors") {
  for (const auto& v : kVectors) {
    CAPTURE(v.scheme);
    auto s = spec(v.scheme);
    bool salted = s.salt != SaltPosition::none || s.algo == HashAlgo::pbkdf2;
    const std::string& used_salt = salted ? salt : std::string();
    CHECK(verify_password(s, pw, v.hash, used_salt));
    CHECK_FALSE(verify_password(s, "p@ss w0rD", v.hash, used_salt));
    if (salted) CHECK_FALSE(verify_password(s, pw, v.hash, "s4lT"));
    // Uppercase hex, as some scripts write it, is the same digest.
    std::string upper = v.hash;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(verify_password(s, pw, upper, used_salt));
  }
}

TEST_CASE("unsalted digest ignores a salt field only where the scheme has none") {
  // md5 without salt position: a salt in the hash is not used (EMQX does the same).
  CHECK(verify_password(spec("md5"), pw, "23dbdf3e325c805dd816b0700c11f831", "ignored"));
}

TEST_CASE("bcrypt: crypt(3) strings from Python's crypt module") {
  // crypt.crypt("p@ss w0rd", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
  const std::string setting = "$2b$04$/VSKDXIdkAAH5i/um4WmJL";
  const std::string hash = "$2b$04$/VSKDXIdkAAH5i/um4WmJ.leE2TTZGXb0vsUJuDlgjQFIrcm1yONO";
  auto s = spec("bcrypt");
  CHECK(s.slow());
  CHECK(verify_password(s, pw, hash, ""));
  CHECK(verify_password(s, pw, hash, setting));  // EMQX style: the setting in the salt field
  CHECK_FALSE(verify_password(s, "p@ss w0rd!", hash, ""));
  CHECK_FALSE(verify_password(s, pw, "not a crypt string", ""));
  CHECK_FALSE(verify_password(s, pw, "", ""));
  // A NUL in the password cannot reach crypt(3), which would truncate there.
  CHECK_FALSE(verify_password(s, std::string("p@ss w0rd\0tail", 14), hash, ""));
}

TEST_CASE("plain compares the whole string") {
  auto s = spec("plain");
  CHECK(verify_password(s, "secret", "secret", ""));
  CHECK_FALSE(verify_password(s, "secre", "secret", ""));
  CHECK_FALSE(verify_password(s, "secret ", "secret", ""));
  CHECK_FALSE(verify_password(s, "", "secret", ""));
  CHECK(verify_password(s, "", "", ""));
}

TEST_CASE("make_password round-trips for every scheme") {
  for (const char* scheme : {"plain", "md5", "sha", "sha256", "sha512", "salt,sha256", "sha512,salt", "bcrypt",
                             "pbkdf2", "pbkdf2,sha512,10,64"}) {
    CAPTURE(scheme);
    auto s = spec(scheme);
    auto stored = make_password(s, "n3w pass");
    CHECK(verify_password(s, "n3w pass", stored.hash, stored.salt));
    CHECK_FALSE(verify_password(s, "n3w pasS", stored.hash, stored.salt));
    bool salted = s.salt != SaltPosition::none || s.algo == HashAlgo::pbkdf2;
    CHECK(stored.salt.empty() != salted);
  }
  // Fresh salts: two hashes of the same password differ.
  auto s = spec("salt,sha256");
  CHECK(make_password(s, "x").hash != make_password(s, "x").hash);
}

TEST_CASE("hash spec parsing") {
  CHECK(to_string(spec("salt,sha256")) == "salt,sha256");
  CHECK(to_string(spec("sha256,salt")) == "sha256,salt");
  CHECK(to_string(spec("pbkdf2")) == "pbkdf2,sha256,1000,20");
  CHECK(spec("pbkdf2,sha512,20000,64").pbkdf2_iterations == 20000);
  std::string why;
  for (const char* bad : {"", "sha3", "salt,salt", "salt,bcrypt", "bcrypt,salt", "salt", "md5,sha", "pbkdf2,sha256",
                          "pbkdf2,sha256,0,20", "pbkdf2,bcrypt,10,10", "pbkdf2,sha256,10,x", "sha256,salt,x"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_hash_spec(bad, &why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("issued credentials are salted and slow, never plain") {
  CHECK_FALSE(parse_issued_hash_spec("plain"));
  CHECK_FALSE(parse_issued_hash_spec("sha256"));
  CHECK_FALSE(parse_issued_hash_spec("salt,sha512"));
  CHECK_FALSE(parse_issued_hash_spec("pbkdf2,sha256,999,32"));
  CHECK(parse_issued_hash_spec("bcrypt"));
  auto spec = parse_issued_hash_spec("pbkdf2,sha256,4096,32");
  REQUIRE(spec);
  auto a = issued_credential(*spec, "pw"), b = issued_credential(*spec, "pw");
  REQUIRE(a.size() == 3);
  CHECK(a[2] == std::pair<std::string, std::string>{"hash", "pbkdf2,sha256,4096,32"});
  CHECK(a[1].second != b[1].second);  // a fresh salt each time
  CHECK(a[0].second.size() == 64);
  CHECK(verify_password(*spec, "pw", a[0].second, a[1].second));
  CHECK_THROWS(issued_credential(*parse_hash_spec("plain"), "pw"));
}

TEST_CASE("secure_equal") {
  CHECK(secure_equal("", ""));
  CHECK(secure_equal("abc", "abc"));
  CHECK_FALSE(secure_equal("abc", "abd"));
  CHECK_FALSE(secure_equal("abc", "abcd"));
  CHECK(random_hex(16).size() == 32);
  CHECK(random_hex(16) != random_hex(16));
}
