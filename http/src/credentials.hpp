#pragma once
// MQTT credentials the API hands out and takes back (INTERFACES.md, Redis):
//  - a mini-program user gets a fresh key/pwd per login or bind, with an ACL for its lock, both
//    expiring after auth.credential_ttl; the keys issued to an OpenID are indexed in the lock
//    database under "logins:<openid>" so unbinding can revoke every one of them;
//  - a lock's username is its lockno, with no expiry, and an ACL for its own topics.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "context.hpp"
#include "storage/records.hpp"

namespace http::detail {

struct IssuedCredentials {
  std::string key;
  std::string pwd;
};

// Writes mqtt_user:/mqtt_acl: for a new key and indexes it; `done` runs once all writes landed
// (ok) or one failed (not ok), from any thread.
void issue_user_credentials(const ContextPtr& ctx, const storage::Binding& binding,
                            std::function<void(storage::Status, IssuedCredentials)> done);
// Deletes every credential issued to `openid` and disconnects their live sessions.
void revoke_user(const ContextPtr& ctx, const std::string& openid, std::function<void(storage::Status)> done);
// Removes the user's binding, rotates the binding code of its role (whoever kept it cannot bind
// again) and revokes every credential issued to it. `done` gets found = false when the user was
// not bound (nothing changed).
void unbind_user(const ContextPtr& ctx, const std::string& openid,
                 std::function<void(storage::Status, bool found)> done);
// The 409 for a binding the store refused; nullopt for `bound`.
std::optional<Response> bind_refusal(storage::BindOutcome outcome);
// The answer of /login and /bind for a bound user with fresh credentials.
std::string login_answer(const storage::Binding& b, const IssuedCredentials& c);

// A lock's credentials and binding codes (stored hashed); answers the plain values once.
struct DeviceSecrets {
  std::string password;
  std::string bindcode_m;
  std::string bindcode_f;
};
void write_device_secrets(const ContextPtr& ctx, const std::string& lockno,
                          std::function<void(storage::Status, DeviceSecrets)> done);
// New binding codes for `roles` ('m', 'f') of a registered lock: the hashes replace the old ones
// in bindcode:<lockno>, so a code someone kept stops working. `done` gets the plain codes by role.
void rotate_bindcodes(const ContextPtr& ctx, const std::string& lockno, std::string roles,
                      std::function<void(storage::Status, storage::Fields)> done);
void delete_device_secrets(const ContextPtr& ctx, const std::string& lockno, std::function<void(storage::Status)> done);

// Counts outstanding asynchronous steps and reports once, with the first failure if any.
class Join : public std::enable_shared_from_this<Join> {
 public:
  static std::shared_ptr<Join> make(int steps, std::function<void(storage::Status)> done);
  void step(const storage::Status& s);

 private:
  std::mutex mutex_;
  int left_ = 0;
  storage::Status first_;
  std::function<void(storage::Status)> done_;
};

}  // namespace http::detail
