#include "lockrules/client_id_guard.hpp"

#include "lockrules/rule_topic.hpp"

namespace lockrules {

bool lock_client_id_allowed(std::string_view client_id, const std::optional<std::string>& username) {
  if (!username) return true;
  // A lock's account (its username has a lockno's shape) under another lockno would take that
  // lock's place. Only that case: the shape is just a length, and phones pick their own ids.
  // Which client id a registered lock's account may use at all is auth's `clientid` pin
  // (auth/user_fields.hpp), set at device registration.
  if (!is_lockno(*username) || !is_lockno(client_id)) return true;
  return client_id == *username;
}

void ClientIdGuard::authenticate(const broker::AuthRequest& request, std::function<void(broker::AuthResult)> done) {
  bool allowed = lock_client_id_allowed(request.client.client_id, request.client.username);
  inner_->authenticate(request, [allowed, metrics = metrics_, done = std::move(done)](broker::AuthResult r) {
    if (r.code == broker::codec::ConnectReturn::accepted && !r.superuser && !allowed) {
      metrics->client_ids_refused.fetch_add(1, std::memory_order_relaxed);
      r = broker::AuthResult{};  // not_authorized: CONNACK 5, as for a wrong password
    }
    done(std::move(r));
  });
}

}  // namespace lockrules
