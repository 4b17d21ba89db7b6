#include "auth/password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <memory>
#include <stdexcept>
#include <vector>

namespace auth {
namespace {

const EVP_MD* evp(HashAlgo a) {
  switch (a) {
    case HashAlgo::md5: return EVP_md5();
    case HashAlgo::sha: return EVP_sha1();
    case HashAlgo::sha224: return EVP_sha224();
    case HashAlgo::sha256: return EVP_sha256();
    case HashAlgo::sha384: return EVP_sha384();
    case HashAlgo::sha512: return EVP_sha512();
    default: return nullptr;
  }
}

struct Name {
  const char* text;
  HashAlgo algo;
};
constexpr Name kNames[] = {
    {"plain", HashAlgo::plain},   {"md5", HashAlgo::md5},       {"sha", HashAlgo::sha},
    {"sha224", HashAlgo::sha224}, {"sha256", HashAlgo::sha256}, {"sha384", HashAlgo::sha384},
    {"sha512", HashAlgo::sha512}, {"bcrypt", HashAlgo::bcrypt}, {"pbkdf2", HashAlgo::pbkdf2},
};

std::optional<HashAlgo> algo_named(std::string_view s) {
  for (const auto& n : kNames)
    if (s == n.text) return n.algo;
  return std::nullopt;
}

const char* name_of(HashAlgo a) {
  for (const auto& n : kNames)
    if (n.algo == a) return n.text;
  return "?";
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string_view::npos ? s.npos : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

std::optional<int> small_positive(std::string_view s) {
  if (s.empty() || s.size() > 7) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v > 0 ? std::optional<int>(v) : std::nullopt;
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string pbkdf2_hex(const HashSpec& spec, std::string_view password, std::string_view salt) {
  std::vector<unsigned char> key(static_cast<std::size_t>(spec.pbkdf2_dklen));
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        spec.pbkdf2_iterations, evp(spec.pbkdf2_mac), spec.pbkdf2_dklen, key.data()) != 1)
    return {};
  return to_hex(key.data(), key.size());
}

// crypt(3) of `password` with `setting` ("$2b$..."); empty on failure. crypt_data is ~32 KiB,
// so it lives on the heap; crypt_rn is re-entrant, which plain crypt() is not.
std::string crypt_string(std::string_view password, std::string_view setting) {
  if (password.find('\0') != std::string_view::npos) return {};
  auto data = std::make_unique<crypt_data>();
  std::string pw(password), st(setting);
  const char* r = crypt_rn(pw.c_str(), st.c_str(), data.get(), sizeof(crypt_data));
  if (!r || r[0] == '*') return {};
  return r;
}

std::string salted(const HashSpec& spec, std::string_view password, std::string_view salt) {
  std::string input;
  input.reserve(password.size() + salt.size());
  if (spec.salt == SaltPosition::prefix) input.append(salt);
  input.append(password);
  if (spec.salt == SaltPosition::suffix) input.append(salt);
  return input;
}

}  // namespace

std::optional<HashSpec> parse_hash_spec(std::string_view text, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<HashSpec> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  auto parts = split_commas(text);
  HashSpec spec;
  if (parts[0] == "pbkdf2") {
    spec.algo = HashAlgo::pbkdf2;
    if (parts.size() == 1) return spec;
    if (parts.size() != 4) return fail("pbkdf2 takes pbkdf2,<mac>,<iterations>,<dklen>");
    auto mac = algo_named(parts[1]);
    auto iterations = small_positive(parts[2]);
    auto dklen = small_positive(parts[3]);
    if (!mac || !evp(*mac)) return fail("pbkdf2 mac must be md5, sha, sha224, sha256, sha384 or sha512");
    if (!iterations || !dklen || *dklen > 1024) return fail("pbkdf2 iterations and dklen must be positive");
    spec.pbkdf2_mac = *mac;
    spec.pbkdf2_iterations = *iterations;
    spec.pbkdf2_dklen = *dklen;
    return spec;
  }
  if (parts.size() == 1) {
    auto a = algo_named(parts[0]);
    if (!a) return fail("unknown hash '" + std::string(parts[0]) + "'");
    spec.algo = *a;
    return spec;
  }
  if (parts.size() == 2 && (parts[0] == "salt") != (parts[1] == "salt")) {
    auto a = algo_named(parts[0] == "salt" ? parts[1] : parts[0]);
    if (!a || !evp(*a)) return fail("a salted hash is one of md5, sha, sha224, sha256, sha384, sha512");
    spec.algo = *a;
    spec.salt = parts[0] == "salt" ? SaltPosition::prefix : SaltPosition::suffix;
    return spec;
  }
  return fail("expected <hash>, salt,<hash>, <hash>,salt or pbkdf2,<mac>,<iterations>,<dklen>");
}

std::string to_string(const HashSpec& spec) {
  std::string name = name_of(spec.algo);
  if (spec.algo == HashAlgo::pbkdf2)
    return name + "," + name_of(spec.pbkdf2_mac) + "," + std::to_string(spec.pbkdf2_iterations) + "," +
           std::to_string(spec.pbkdf2_dklen);
  if (spec.salt == SaltPosition::prefix) return "salt," + name;
  if (spec.salt == SaltPosition::suffix) return name + ",salt";
  return name;
}

std::string hex_digest(HashAlgo algo, std::string_view data) {
  const EVP_MD* md = evp(algo);
  if (!md) throw std::invalid_argument("hex_digest: not a digest");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) throw std::runtime_error("EVP_Digest failed");
  return to_hex(out, len);
}

bool secure_equal(std::string_view a, std::string_view b) {
  // Comparing fixed-size digests of both sides hides the lengths as well as the contents.
  unsigned char da[32], db[32];
  unsigned int la = 0, lb = 0;
  EVP_Digest(a.data(), a.size(), da, &la, EVP_sha256(), nullptr);
  EVP_Digest(b.data(), b.size(), db, &lb, EVP_sha256(), nullptr);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

bool verify_password(const HashSpec& spec, std::string_view password, std::string_view hash, std::string_view salt) {
  switch (spec.algo) {
    case HashAlgo::plain: return secure_equal(password, hash);
    case HashAlgo::bcrypt: {
      // EMQX hands the salt field to bcrypt when there is one; otherwise the stored hash carries
      // its own setting, as every crypt(3) string does.
      auto computed = crypt_string(password, salt.empty() ? hash : salt);
      return !computed.empty() && secure_equal(computed, hash);
    }
    case HashAlgo::pbkdf2: {
      auto computed = pbkdf2_hex(spec, password, salt);
      return !computed.empty() && secure_equal(computed, lower(hash));
    }
    default: return secure_equal(hex_digest(spec.algo, salted(spec, password, salt)), lower(hash));
  }
}

std::string random_hex(std::size_t n) {
  std::vector<unsigned char> bytes(n);
  if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
  return to_hex(bytes.data(), n);
}

storage::Fields issued_credential(const HashSpec& spec, std::string_view password) {
  if (!spec.slow()) throw std::invalid_argument("issued credentials need a salted, slow hash");
  auto stored = make_password(spec, password);
  storage::Fields f{{"password", std::move(stored.hash)}};
  if (!stored.salt.empty()) f.emplace_back("salt", std::move(stored.salt));
  f.emplace_back(kHashField, to_string(spec));
  return f;
}

std::optional<HashSpec> parse_issued_hash_spec(std::string_view text, std::string* why) {
  auto spec = parse_hash_spec(text, why);
  if (!spec) return spec;
  if (!spec->slow() || (spec->algo == HashAlgo::pbkdf2 && spec->pbkdf2_iterations < 1000)) {
    if (why) *why = "credentials Sakura issues need bcrypt or pbkdf2 with 1000 iterations or more";
    return std::nullopt;
  }
  return spec;
}

StoredPassword make_password(const HashSpec& spec, std::string_view password) {
  switch (spec.algo) {
    case HashAlgo::plain: return {std::string(password), {}};
    case HashAlgo::bcrypt: {
      char setting[CRYPT_GENSALT_OUTPUT_SIZE];
      if (!crypt_gensalt_rn("$2b$", 10, nullptr, 0, setting, sizeof setting))
        throw std::runtime_error("crypt_gensalt failed");
      auto h = crypt_string(password, setting);
      if (h.empty()) throw std::runtime_error("bcrypt failed");
      return {h, {}};
    }
    case HashAlgo::pbkdf2: {
      auto salt = random_hex(16);
      return {pbkdf2_hex(spec, password, salt), salt};
    }
    default: {
      std::string salt = spec.salt == SaltPosition::none ? std::string() : random_hex(16);
      return {hex_digest(spec.algo, salted(spec, password, salt)), salt};
    }
  }
}

}  // namespace auth
