#include "lockrules/revoker.hpp"

namespace lockrules {

void KvRevoker::revoke(const std::string& username, Done done) {
  kv_->del(storage::Db::auth, {"mqtt_user:" + username, "mqtt_acl:" + username},
           [control = control_, username, done = std::move(done)](storage::Result<long long> r) {
             if (!r) return done(storage::Result<bool>::failure(r.message));
             // Disconnecting publishes the client's will; for the mini-program that is /unauth
             // again, which then finds nothing to delete and ends there.
             if (r.value > 0) control->disconnect_user(username);
             done(storage::Result<bool>::success(r.value > 0));
           });
}

}  // namespace lockrules
