#pragma once
// The mqtt_user fields Sakura reads and writes beyond emqx_auth_redis's password, salt and
// is_superuser. Old records have none of them and keep working; the old system ignored them.
namespace auth {

// Seconds: the credential expires and is renewed while connected (credential_keeper.hpp).
inline constexpr const char* kTtlField = "ttl";
// The record's own password scheme, winning over auth.password_hash (password.hpp).
inline constexpr const char* kHashField = "hash";
// The only client id this account may connect with: device registration pins a lock's account
// to its lockno, so its credentials (in every lock's flash) cannot take over another lock's
// session. Another client id is refused with CONNACK 2 (identifier rejected).
inline constexpr const char* kClientIdField = "clientid";

}  // namespace auth
