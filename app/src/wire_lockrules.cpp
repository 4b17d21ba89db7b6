#include "wire_lockrules.hpp"

#include "auth/credential_keeper.hpp"
#include "broker/server.hpp"
#include "lockrules/lock_rules.hpp"
#include "storage/open.hpp"

namespace app {

std::shared_ptr<lockrules::LockRules> wire_lockrules(broker::Server& server, const Config& config,
                                                     const Logging& logging, const storage::Storage& storage,
                                                     std::shared_ptr<auth::CredentialKeeper> keeper) {
  lockrules::Options options;
  options.pair_window = config.duration("lock.pair_window");
  // A zero expiry means "no expiry" to the store: a window would then never close.
  if (options.pair_window.count() <= 0) throw ConfigError("lock.pair_window: must be more than 0");
  auto status_length = config.integer("lock.max_status_length");
  if (status_length < 0 || status_length > 1024)
    throw ConfigError("lock.max_status_length: must be between 0 and 1024");
  options.max_status_length = static_cast<std::size_t>(status_length);
  lockrules::Deps deps;
  deps.kv = storage.kv;
  deps.history = storage.history;
  deps.control = &server.broker();
  deps.credentials = std::move(keeper);
  deps.log = logging.get("lockrules");
  auto rules = std::make_shared<lockrules::LockRules>(options, std::move(deps));
  server.broker().add_observer(rules);
  server.broker().set_publish_guard(rules->publish_guard());
  return rules;
}

}  // namespace app
