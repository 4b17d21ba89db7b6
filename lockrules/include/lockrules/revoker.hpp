#pragma once
// Withdrawing a user's MQTT credentials. An interface so the /unauth rule does not care who
// does it: KvRevoker below until auth/ offers its own revoke (which also drops cached ACLs).
#include <functional>
#include <memory>
#include <string>

#include "broker/hooks.hpp"
#include "storage/key_value.hpp"

namespace lockrules {

class Revoker {
 public:
  // Answers whether anything was stored for the user (false = already gone), or a failure.
  using Done = std::function<void(storage::Result<bool>)>;
  virtual ~Revoker() = default;
  // Any thread; must not block; `done` exactly once on any thread.
  virtual void revoke(const std::string& username, Done done) = 0;
};

// Deletes mqtt_user:<u> and mqtt_acl:<u> from the auth database, then disconnects every client
// logged in as <u> so no connection keeps the ACL it was granted.
class KvRevoker final : public Revoker {
 public:
  KvRevoker(std::shared_ptr<storage::KeyValue> kv, std::shared_ptr<broker::BrokerControl> control)
      : kv_(std::move(kv)), control_(std::move(control)) {}
  void revoke(const std::string& username, Done done) override;

 private:
  std::shared_ptr<storage::KeyValue> kv_;
  std::shared_ptr<broker::BrokerControl> control_;
};

}  // namespace lockrules
