#pragma once
#include <memory>

#include "config.hpp"
#include "logging.hpp"

namespace auth {
class CredentialKeeper;
}
namespace broker {
class Server;
}
namespace storage {
struct Storage;
}
namespace lockrules {
class LockRules;
}

namespace app {

// Plugs the lock rules (lockrules/) into the broker's publish path. The broker keeps them alive;
// the returned pointer is for close() at stop and for exporting their metrics. /unauth revokes
// through `keeper` (auth/'s credential store owns the key layout).
std::shared_ptr<lockrules::LockRules> wire_lockrules(broker::Server& server, const Config& config,
                                                     const Logging& logging, const storage::Storage& storage,
                                                     std::shared_ptr<auth::CredentialKeeper> keeper);

}  // namespace app
