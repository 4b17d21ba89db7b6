#pragma once
// The one owner of where MQTT credentials live (INTERFACES.md, Redis) and how they are written:
//  - the record and ACL keys come from auth.auth_cmd and auth.acl_cmd (CredentialLayout), the
//    same templates the authenticator reads, so changing a template moves issuing with it;
//  - the keys issued to one WeChat user are indexed in the lock database under
//    "logins:<owner>" (field = username, value = issue time in ms), so unbinding finds them all.
// http/ (login, bind, device registration), CredentialKeeper (renewal, revocation for /unauth
// and unbinding) and sakura-ctl issue, read, list and remove credentials only through here.
//
// THREADING: like storage::KeyValue, every method may be called from any thread, returns at once
// and calls `done` exactly once from the store's thread. issue() hashes the password on the
// calling thread (auth.issued_password_hash is slow by design): never call it on an I/O thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/command_template.hpp"
#include "auth/password.hpp"
#include "storage/key_value.hpp"

namespace auth {

// The key patterns of auth_cmd and acl_cmd ("mqtt_user:%u", "mqtt_acl:%u").
class CredentialLayout {
 public:
  CredentialLayout(std::string user_pattern = "mqtt_user:%u", std::string acl_pattern = "mqtt_acl:%u");
  // From auth.auth_cmd / auth.acl_cmd text; nullopt with `why` when either does not parse.
  static std::optional<CredentialLayout> parse(std::string_view auth_cmd, std::string_view acl_cmd,
                                               std::string* why = nullptr);

  std::string user_key(std::string_view username, std::string_view client_id = "") const;
  std::string acl_key(std::string_view username, std::string_view client_id = "") const;
  // "<prefix>" when the record key is "<prefix>%u" (only then can a key scan list every user).
  std::optional<std::string> user_prefix() const;
  // The index of credentials issued to a WeChat user (lock database).
  static std::string index_key(std::string_view owner);

  const std::string& user_pattern() const { return user_pattern_; }
  const std::string& acl_pattern() const { return acl_pattern_; }

 private:
  std::string user_pattern_, acl_pattern_;
};

struct NewCredential {
  std::string username;
  std::string password;  // plain; stored hashed under auth.issued_password_hash
  storage::Fields acl;   // topic filter -> "1" subscribe, "2" publish, "3" both; empty: no rows
  // 0: never expires. Otherwise the record and ACL expire and the `ttl` field makes
  // CredentialKeeper renew them while the user stays connected.
  std::chrono::milliseconds ttl{0};
  bool superuser = false;
  std::string client_id;  // non-empty: the only client id the account may use (kClientIdField)
  std::string owner;      // non-empty: indexed under logins:<owner> (a mini-program user)
};

// A lock's own account (device registration, sakura-ctl device add): username and pinned client
// id = lockno, no expiry, publish /<lockno>/statu and /fw, subscribe /<lockno>/call and /ota.
NewCredential lock_credential(const std::string& lockno, std::string password);

// A stored credential as operators see it: never the password or its salt.
struct CredentialInfo {
  std::string username;
  storage::Fields fields;        // the record's other fields (is_superuser, ttl, hash, clientid), sorted
  storage::Fields acl;           // sorted by filter
  long long expires_in_ms = -1;  // -1: no expiry
};

struct IssuedKey {
  std::string username;
  std::int64_t issued_ms = 0;
  long long expires_in_ms = -1;  // -1: no expiry, -2: expired or revoked (the index still names it)
};

struct UserPage {
  std::string cursor;  // "" = no more
  std::vector<std::string> usernames;
};

class CredentialStore {
 public:
  using StatusCallback = std::function<void(storage::Status)>;
  template <class T>
  using Callback = std::function<void(storage::Result<T>)>;

  // `issued` is auth.issued_password_hash (bcrypt or pbkdf2).
  CredentialStore(std::shared_ptr<storage::KeyValue> kv, CredentialLayout layout, HashSpec issued);

  const CredentialLayout& layout() const { return layout_; }
  const std::shared_ptr<storage::KeyValue>& kv() const { return kv_; }

  // Writes the ACL first and then the record (each replaced whole), so the record never exists
  // without its rows; then the owner's index, pruning entries whose credentials are gone.
  void issue(NewCredential credential, StatusCallback done);
  // nullopt when the user has no record.
  void read(std::string username, Callback<std::optional<CredentialInfo>> done);
  // One page of usernames in no particular order (a bounded key scan; `count` is a hint). Fails
  // when auth.auth_cmd's key is not "<prefix>%u".
  void list(std::string cursor, std::size_t count, Callback<UserPage> done);
  // Deletes the record and the ACL; answers whether either existed. Connected clients keep
  // running: CredentialKeeper::revoke is the removal that also disconnects them.
  void remove(std::string username, Callback<bool> done);
  // One ACL row: access 1, 2 or 3 (anything else fails).
  void set_acl(std::string username, std::string filter, int access, StatusCallback done);
  void remove_acl(std::string username, std::string filter, Callback<bool> done);
  // The credentials issued to a WeChat user, with what is left of each.
  void issued_to(std::string owner, Callback<std::vector<IssuedKey>> done);
  // Drops `usernames` from the owner's index (all of it when empty).
  void forget(std::string owner, std::vector<std::string> usernames, StatusCallback done);

 private:
  std::shared_ptr<storage::KeyValue> kv_;
  CredentialLayout layout_;
  HashSpec issued_;
};

}  // namespace auth
