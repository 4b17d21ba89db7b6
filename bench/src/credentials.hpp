#pragma once
// Credentials for the lock scenario, made as the login makes them (INTERFACES.md): an owner's MQTT
// username is base64 of 16 random bytes and the password base64 of 8, with the ACL the login
// writes. They derive from the run id and lock index, so forked workers compute the same ones
// the parent stored without passing them around.
#include <cstdint>
#include <string>

namespace bench {

struct Credential {
  std::string username;
  std::string password;
};

// morf is 'm' or 'f'.
Credential owner_credential(const std::string& run, std::uint64_t lock, char morf);
// Locks log in with their lock number; the old system kept them in mqtt_user: too.
Credential lock_credential(const std::string& run, std::uint64_t lock);
// The bench-side stand-in for the unlock rule: a superuser, so it may read /+/m and write /+/call.
Credential responder_credential(const std::string& run);

// Writes mqtt_user:/mqtt_acl: for every lock, owner and (when asked) the responder into db 0 of
// the Redis at HOST:PORT, or with `remove` deletes them again. Returns an error message or "".
std::string store_credentials(const std::string& host_port, const std::string& run, std::uint64_t locks, bool responder,
                              bool remove);

}  // namespace bench
