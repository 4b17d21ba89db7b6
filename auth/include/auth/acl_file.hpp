#pragma once
// Global ACL rules (auth.acl_file), in the spirit of EMQX's acl.conf and Mosquitto's acl_file.
// One rule a line, first match wins; '#' starts a comment line:
//   <allow|deny> <who> <publish|subscribe|pubsub> <filter> [<filter> ...]
// who:    all | anonymous | lock | user:<name> | clientid:<id> | ipaddr:<address>[/<prefix>]
//         (lock: an account whose username is a lockno, storage/lockno.hpp)
// filter: a topic filter with %u / %c substituted, matched as in topic_acl_match.hpp, or
//         eq:<filter> to match only that exact string (e.g. "eq:#" for a subscription to "#").
// They decide for clients whose user has no mqtt_acl rows (and anonymous clients), before
// auth.acl_nomatch. A user with rows is whitelist-only, as with emqx_auth_redis.
// With auth.acl_file unset the broker loads the shipped default (deploy/acl.conf).
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace auth {

enum class Access : unsigned { subscribe = 1, publish = 2, both = 3 };

struct WhoAsks {
  const std::string* username = nullptr;  // null: anonymous
  std::string_view client_id;
  std::optional<boost::asio::ip::address> address;
};

struct GlobalRule {
  enum class Who { all, anonymous, lock, user, client_id, address };
  bool allow = false;
  Who who = Who::all;
  std::string who_value;             // user name or client id
  boost::asio::ip::address network;  // for Who::address
  unsigned prefix = 0;
  Access access = Access::both;
  struct Filter {
    std::string text;
    bool exact = false;  // eq:
  };
  std::vector<Filter> filters;
  int line = 0;

  bool applies_to(const WhoAsks& who) const;
};

class GlobalRules {
 public:
  // Throws std::runtime_error naming the line on a malformed rule.
  static GlobalRules parse(std::string_view text, const std::string& source = "acl_file");
  static GlobalRules load(const std::string& path);

  // allow / deny by the first matching rule, nullopt when none matches.
  std::optional<bool> decide(const WhoAsks& who, Access access, std::string_view topic) const;
  // The rules that apply to this client with %u/%c already substituted: the per-connection copy
  // that keeps substitution and address checks off the publish path.
  GlobalRules for_client(const WhoAsks& who) const;
  bool empty() const { return rules_.empty(); }
  std::size_t size() const { return rules_.size(); }

 private:
  std::vector<GlobalRule> rules_;
  bool substituted_ = false;
};

// "1.2.3.4:5678" or "[::1]:5678" (ClientInfo::address) -> the address; nullopt if unparsable.
std::optional<boost::asio::ip::address> peer_address(std::string_view address_and_port);

}  // namespace auth
