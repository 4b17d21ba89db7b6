#include "auth/metrics.hpp"

#include <atomic>
#include <cstdint>
#include <utility>

#include "auth/authenticator.hpp"
#include "auth/credential_keeper.hpp"

namespace auth {

namespace {
void metric(std::string& out, const char* type, const char* name, const char* help, std::uint64_t value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  out += std::string(name) + " " + std::to_string(value) + "\n";
}
void counter(std::string& out, const char* name, const char* help, std::uint64_t value) {
  metric(out, "counter", name, help, value);
}
}  // namespace

void append_prometheus(const KvAuthenticator& authenticator, const CredentialKeeper& keeper,
                       std::string& out) {
  const auto& s = authenticator.stats();
  counter(out, "sakura_auth_attempts_total", "CONNECT authentications started", s.attempts.load());
  out += "# HELP sakura_auth_logins_total CONNECT authentications by outcome\n"
         "# TYPE sakura_auth_logins_total counter\n";
  const std::pair<const char*, const std::atomic<std::uint64_t>*> results[] = {
      {"accepted", &s.accepted},         {"unknown_user", &s.unknown_user},
      {"bad_password", &s.bad_password}, {"anonymous_refused", &s.anonymous_refused},
      {"store_error", &s.store_errors},  {"throttled", &s.throttled},
      {"overloaded", &s.overloaded},     {"client_id_refused", &s.client_id_refused},
  };
  for (const auto& [result, value] : results)
    out += std::string("sakura_auth_logins_total{result=\"") + result + "\"} " +
           std::to_string(value->load()) + "\n";
  const auto& t = authenticator.throttle().stats();
  out += "# HELP sakura_auth_lockouts_total throttle blocks started after failed logins, by key "
         "(user and address are the alert: sustained guessing)\n"
         "# TYPE sakura_auth_lockouts_total counter\n";
  const std::pair<const char*, const std::atomic<std::uint64_t>*> scopes[] = {
      {"pair", &t.pair_blocks}, {"user", &t.user_blocks}, {"address", &t.address_blocks}};
  for (const auto& [scope, value] : scopes)
    out += std::string("sakura_auth_lockouts_total{scope=\"") + scope + "\"} " +
           std::to_string(value->load()) + "\n";
  metric(out, "gauge", "sakura_auth_throttle_entries", "keys held by the login throttle (all three tables)",
          authenticator.throttle().entries());
  const auto& k = keeper.stats();
  counter(out, "sakura_auth_credentials_renewed_total",
          "expiring credentials renewed for connected users", k.renewed.load());
  counter(out, "sakura_auth_credentials_vanished_total",
          "users disconnected because their credentials were gone", k.vanished.load());
  counter(out, "sakura_auth_revoked_total", "revocations (delete + disconnect)", k.revoked.load());
}

}  // namespace auth
