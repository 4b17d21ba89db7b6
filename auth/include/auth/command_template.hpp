#pragma once
// The store lookups, written as EMQX's auth.redis.auth_cmd / super_cmd / acl_cmd:
//   HMGET mqtt_user:%u password salt      HGET mqtt_user:%u is_superuser      HGETALL mqtt_acl:%u
// A template is parsed once at start into a verb, a key pattern and field names. `%u` (username)
// and `%c` (client id) are substituted inside the key only, so whatever a client sends stays one
// argument of one command: it can neither add arguments nor start another command.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auth {

struct CommandTemplate {
  enum class Verb { hmget, hget, hgetall };
  Verb verb = Verb::hmget;
  std::string key_pattern;          // "mqtt_user:%u"
  std::vector<std::string> fields;  // empty for HGETALL

  // Parses `text`, which must use one of `allowed`; nullopt with `why` set otherwise.
  static std::optional<CommandTemplate> parse(std::string_view text, std::vector<Verb> allowed,
                                              std::string* why = nullptr);
  std::string key(std::string_view username, std::string_view client_id) const;
};

// Replaces %u and %c in one pass (a substituted value is never scanned again); "%%" is a '%'.
// Other '%' sequences are kept as written.
std::string substitute(std::string_view pattern, std::string_view username, std::string_view client_id);

// substitute() for an ACL filter that grants something (a mqtt_acl row, an `allow` rule): nullopt
// when what the client chose would widen it, so the filter grants nothing to this client. That is
// a level made exactly "+" or "#" by substituted text (client id "#" turns /lan/%u/%c into
// /lan/<u>/#), or a client id with '/' (it would step into other levels). A username may hold '/'
// and '+' (base64 keys do) as long as no wildcard level comes of it. `deny` filters take plain
// substitute(): a wider deny only denies more.
std::optional<std::string> substitute_filter(std::string_view filter, std::string_view username,
                                             std::string_view client_id);

}  // namespace auth
