#pragma once
#include "broker/hooks.hpp"

namespace app {

// The authenticator used until a credential store is configured: anonymous clients are let in
// only when auth.allow_anonymous is set, and anyone presenting a username is refused, since there
// is nothing to check the password against (failing closed).
class AnonymousAuthenticator final : public broker::Authenticator {
 public:
  explicit AnonymousAuthenticator(bool allow_anonymous) : allow_(allow_anonymous) {}
  void authenticate(const broker::AuthRequest& request, std::function<void(broker::AuthResult)> done) override {
    bool ok = allow_ && !request.client.username;
    done({ok ? broker::codec::ConnectReturn::accepted : broker::codec::ConnectReturn::not_authorized, false, nullptr});
  }

 private:
  bool allow_;
};

}  // namespace app
