#include "auth/metrics.hpp"

#include <atomic>
#include <cstdint>
#include <utility>

#include "auth/authenticator.hpp"
#include "auth/credential_keeper.hpp"
#include "common/prometheus_text.hpp"

namespace auth {

void append_prometheus(const KvAuthenticator& authenticator, const CredentialKeeper& keeper, std::string& out) {
  using Type = common::PrometheusText::Type;
  common::PrometheusText p(out);
  const auto& s = authenticator.stats();
  p.counter("sakura_auth_attempts_total", "CONNECT authentications started", s.attempts.load());
  p.family("sakura_auth_logins_total", Type::counter, "CONNECT authentications by outcome");
  const std::pair<const char*, const std::atomic<std::uint64_t>*> results[] = {
      {"accepted", &s.accepted},         {"unknown_user", &s.unknown_user},
      {"bad_password", &s.bad_password}, {"anonymous_refused", &s.anonymous_refused},
      {"store_error", &s.store_errors},  {"throttled", &s.throttled},
      {"overloaded", &s.overloaded},     {"client_id_refused", &s.client_id_refused},
  };
  for (const auto& [result, value] : results) p.sample("sakura_auth_logins_total", {{"result", result}}, value->load());
  const auto& t = authenticator.throttle().stats();
  p.family("sakura_auth_lockouts_total", Type::counter,
           "throttle blocks started after failed logins, by key (user and address are the alert: "
           "sustained guessing)");
  const std::pair<const char*, const std::atomic<std::uint64_t>*> scopes[] = {
      {"pair", &t.pair_blocks}, {"user", &t.user_blocks}, {"address", &t.address_blocks}};
  for (const auto& [scope, value] : scopes) p.sample("sakura_auth_lockouts_total", {{"scope", scope}}, value->load());
  p.gauge("sakura_auth_throttle_entries", "keys held by the login throttle (all three tables)",
          authenticator.throttle().entries());
  const auto& k = keeper.stats();
  p.counter("sakura_auth_credentials_renewed_total", "expiring credentials renewed for connected users",
            k.renewed.load());
  p.counter("sakura_auth_credentials_vanished_total", "users disconnected because their credentials were gone",
            k.vanished.load());
  p.counter("sakura_auth_revoked_total", "revocations (delete + disconnect)", k.revoked.load());
}

}  // namespace auth
