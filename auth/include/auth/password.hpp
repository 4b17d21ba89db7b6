#pragma once
// Password hashes as emqx_auth_redis stores them in `mqtt_user:<u>` (auth.password_hash):
//   plain | md5 | sha | sha256 | sha512           hex digest of the password (lowercase)
//   salt,<h>  /  <h>,salt                         digest of salt+password / password+salt
//   bcrypt                                        crypt(3) "$2b$..." string; the salt field, when
//                                                 present, is the "$2b$NN$<22 chars>" setting
//   pbkdf2[,<mac>,<iterations>,<dklen>]           hex PBKDF2-HMAC of password with the salt field
//                                                 (default sha256, 1000, 20 as in EMQX examples)
// Every comparison is constant-time in the secret.
//
// A credential may name its own scheme in a `hash` field (to_string(HashSpec)); it then wins over
// auth.password_hash. Sakura writes one on every credential it issues itself (/login, device
// registration, sakura-ctl), always salted and slow (auth.issued_password_hash), so issuing never
// stores a plain password whatever the legacy default; records without the field (the old
// system's, operators' scripts) keep the configured scheme.
#include <optional>
#include <string>
#include <string_view>

#include "auth/user_fields.hpp"
#include "storage/key_value.hpp"

namespace auth {

enum class HashAlgo { plain, md5, sha, sha224, sha256, sha384, sha512, bcrypt, pbkdf2 };
enum class SaltPosition { none, prefix, suffix };

struct HashSpec {
  HashAlgo algo = HashAlgo::plain;
  SaltPosition salt = SaltPosition::none;
  HashAlgo pbkdf2_mac = HashAlgo::sha256;
  int pbkdf2_iterations = 1000;
  int pbkdf2_dklen = 20;

  // bcrypt and pbkdf2 cost milliseconds of CPU: they run off the I/O threads.
  bool slow() const { return algo == HashAlgo::bcrypt || algo == HashAlgo::pbkdf2; }
};

// Parses an auth.password_hash value; nullopt with `why` set when it is not one.
std::optional<HashSpec> parse_hash_spec(std::string_view text, std::string* why = nullptr);
std::string to_string(const HashSpec& spec);

// Whether `password` matches the stored `hash` (and `salt`, empty when the field is missing).
bool verify_password(const HashSpec& spec, std::string_view password, std::string_view hash, std::string_view salt);

struct StoredPassword {
  std::string hash;
  std::string salt;  // empty when the scheme uses none
};
// Hashes a new password with a fresh random salt where the scheme has one (for sakura-ctl and
// the device API). bcrypt uses cost 10.
StoredPassword make_password(const HashSpec& spec, std::string_view password);

// The mqtt_user fields of a credential Sakura issues: password and salt under `spec` (which must
// be slow(): bcrypt or pbkdf2), and the `hash` field naming it.
storage::Fields issued_credential(const HashSpec& spec, std::string_view password);

// Parses auth.issued_password_hash: as parse_hash_spec, and it must be bcrypt or pbkdf2 (salted,
// slow), with pbkdf2 at 1000 iterations or more.
std::optional<HashSpec> parse_issued_hash_spec(std::string_view text, std::string* why = nullptr);

// Lowercase hex digest of `data` (md5/sha/sha224/sha256/sha384/sha512 only).
std::string hex_digest(HashAlgo algo, std::string_view data);

// Constant-time equality: time depends on neither content nor which side is longer.
bool secure_equal(std::string_view a, std::string_view b);

// `n` random bytes from the OS generator, as lowercase hex (2n characters).
std::string random_hex(std::size_t n);

}  // namespace auth
