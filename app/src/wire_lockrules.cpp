#include "wire_lockrules.hpp"

#include "broker/server.hpp"
#include "lockrules/direct_history.hpp"
#include "lockrules/lock_rules.hpp"
#include "storage/open.hpp"

namespace app {

std::shared_ptr<lockrules::LockRules> wire_lockrules(broker::Server& server, const Config& config,
                                                     const Logging& logging,
                                                     const storage::Storage& storage) {
  lockrules::Options options;
  options.pair_window = config.duration("lock.pair_window");
  lockrules::Deps deps;
  deps.kv = storage.kv;
  // Until storage's spool-backed writer exists, history goes to the database directly.
  deps.history = storage.history ? storage.history
                                 : std::make_shared<lockrules::DirectHistoryWriter>(storage.sql);
  deps.control = &server.broker();
  deps.log = logging.get("lockrules");
  auto rules = std::make_shared<lockrules::LockRules>(options, std::move(deps));
  server.broker().add_observer(rules);
  return rules;
}

}  // namespace app
