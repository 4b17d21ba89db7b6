#pragma once
#include <memory>

#include "config.hpp"
#include "logging.hpp"

namespace auth {
class KvAuthenticator;
class CredentialKeeper;
class CredentialStore;
}  // namespace auth
namespace broker {
class Server;
}
namespace storage {
class KeyValue;
struct Storage;
}  // namespace storage

namespace app {

// What other modules use of auth/: the credential store for issuing (HTTP), the keeper's revoke()
// for /unauth, HTTP unbind and admin routes; the authenticator's stats for /metrics.
struct AuthWiring {
  std::shared_ptr<auth::KvAuthenticator> authenticator;
  std::shared_ptr<auth::CredentialStore> credentials;
  std::shared_ptr<auth::CredentialKeeper> keeper;
};

// The credential store over `kv` with the key layout of auth.auth_cmd / auth.acl_cmd and
// auth.issued_password_hash (sakura-ctl opens it offline exactly as the broker does).
std::shared_ptr<auth::CredentialStore> credential_store(const Config& config, std::shared_ptr<storage::KeyValue> kv);

// Builds the authenticator over the shared key-value store from the auth.* settings (a bad value throws ConfigError
// naming its key), loads auth.users_file into the store, installs the authenticator and the
// keeper (as an Observer) on the broker, and starts the keeper's periodic check.
AuthWiring wire_auth(broker::Server& server, const Config& config, const Logging& logging,
                     const storage::Storage& storage);

}  // namespace app
