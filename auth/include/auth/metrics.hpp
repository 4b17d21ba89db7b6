#pragma once
// auth/'s counters as Prometheus text, for the HTTP API's /metrics.
#include <string>

namespace auth {

class KvAuthenticator;
class CredentialKeeper;

// Appends sakura_auth_logins_total{result=...}, sakura_auth_attempts_total and the credential
// keeper's counters (renewed, vanished, revoked). Safe from any thread (atomics only).
void append_prometheus(const KvAuthenticator& authenticator, const CredentialKeeper& keeper, std::string& out);

}  // namespace auth
