#pragma once
// Client ids of the lock system (issue 15): a lockno is a lock's identity on MQTT, so a lock's
// account (its username is a lockno) may not connect with another lockno as client id: it would
// take that lock's place. Which client id a registered lock's account may use at all is auth's
// `clientid` pin (auth/user_fields.hpp), written at device registration; the pin also reserves
// the id against every other account (a phone squatting a lockno), which is auth's to check too:
// here "is a lockno" is only a length, and phones choose their own ids (an 11-character phone id
// was refused when this covered them).
// "Is a lockno" is the shape INTERFACES.md gives (11 characters), the same test the rule topics
// use. Superusers are exempt (operators' tools), and so are clients without a username (an
// open deployment, auth.allow_anonymous: anyone may act as anyone there). Everything else is decided by the wrapped
// authenticator; this only narrows what it accepted.
//
// THREADING: as broker::Authenticator: authenticate() on the connection's I/O thread, `done` from
// whatever thread the wrapped authenticator answers on. Stateless apart from a counter.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/hooks.hpp"
#include "lockrules/metrics.hpp"

namespace lockrules {

class ClientIdGuard final : public broker::Authenticator {
 public:
  ClientIdGuard(std::shared_ptr<broker::Authenticator> inner, std::shared_ptr<Metrics> metrics)
      : inner_(std::move(inner)), metrics_(std::move(metrics)) {}

  void authenticate(const broker::AuthRequest& request, std::function<void(broker::AuthResult)> done) override;

 private:
  std::shared_ptr<broker::Authenticator> inner_;
  std::shared_ptr<Metrics> metrics_;  // client_ids_refused
};

// Whether `client_id` is one `username` may use (the rules above), superusers aside.
bool lock_client_id_allowed(std::string_view client_id, const std::optional<std::string>& username);

}  // namespace lockrules
