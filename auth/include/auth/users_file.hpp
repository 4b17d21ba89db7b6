#pragma once
// A file of users loaded into the store at start (auth.users_file), for small deployments and
// tests that need a few fixed accounts without Redis or sakura-ctl:
//   # comment
//   user <name> <password as stored> [salt=<salt>] [superuser]
//   acl  <name> <topic filter> <1|2|3>          (1 subscribe, 2 publish, 3 both)
// The stored password is in the configured auth.password_hash form (plain text for `plain`).
// Each listed user's mqtt_user and mqtt_acl hashes are replaced as a whole; other users are not
// touched.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "storage/key_value.hpp"

namespace auth {

struct UsersFile {
  struct User {
    storage::Fields credential;  // password, salt?, is_superuser?
    storage::Fields acl;
  };
  std::map<std::string, User> users;

  // Throws std::runtime_error naming the line on a malformed one.
  static UsersFile parse(std::string_view text, const std::string& source = "users_file");
  static UsersFile load(const std::string& path);

  // Writes every user (hreplace, no expiry); `done` runs once with the first error or success.
  void apply(storage::KeyValue& kv, const std::string& user_key_pattern, const std::string& acl_key_pattern,
             std::function<void(storage::Status)> done) const;
};

}  // namespace auth
