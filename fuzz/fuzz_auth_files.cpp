// libFuzzer harness for auth/'s line files and the ACL decisions made from them: the ACL file
// (auth/src/acl_file.cpp) and the users file (auth/src/users_file.cpp) are the operator's, but
// every decision also reads what a client chose: its username, client id and topic, substituted
// for %u and %c. The input gives those three and the file text. A malformed file must be refused
// with std::runtime_error and nothing else; the per-connection copy of the rules
// (GlobalRules::for_client) must decide as the rules do; and a rule granting a client its own
// subtree must not be widened by what the client chose ("+" as a client id must not open /c/+/#).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "auth/acl_file.hpp"
#include "auth/user_acl.hpp"
#include "auth/users_file.hpp"
#include "require.hpp"

using fuzz::require;

namespace {

bool under(std::string_view topic, std::string_view root) {
  return topic == root ||
         (topic.size() > root.size() && topic.substr(0, root.size()) == root && topic[root.size()] == '/');
}

// Whether an allowed topic stays inside the subtrees the own-subtree rules name.
bool in_own_subtree(std::string_view topic, const std::string& user, const std::string& client_id) {
  return under(topic, "/u/" + user) || under(topic, "/c/" + client_id);
}

void check_own_subtree(const auth::WhoAsks& who, const std::string& user, std::string_view topic) {
  static const auto rules = auth::GlobalRules::parse("allow all pubsub /u/%u/# /c/%c/#\n");
  for (auto access : {auth::Access::publish, auth::Access::subscribe}) {
    if (rules.decide(who, access, topic).value_or(false))
      require(in_own_subtree(topic, user, std::string(who.client_id)),
              "an acl_file rule widened by the client's username or id");
  }
  auth::UserAcl acl({{"/u/%u/#", "3"}, {"/c/%c/#", "3"}}, user, who.client_id, {}, false);
  if (acl.allow_publish(topic) || acl.allow_subscribe(topic))
    require(in_own_subtree(topic, user, std::string(who.client_id)),
            "an mqtt_acl row widened by the client's username or id");
}

void check_rules(std::string_view text, const auth::WhoAsks& who, std::string_view topic) {
  std::optional<auth::GlobalRules> rules;
  try {
    rules = auth::GlobalRules::parse(text);
  } catch (const std::runtime_error&) {
    return;
  }
  auto mine = rules->for_client(who);
  for (auto access : {auth::Access::publish, auth::Access::subscribe, auth::Access::both})
    require(rules->decide(who, access, topic) == mine.decide(who, access, topic),
            "the per-connection rules decide differently");
}

void check_users(std::string_view text) {
  try {
    auto users = auth::UsersFile::parse(text);
    for (auto& [name, u] : users.users)
      require(!name.empty() && !u.credential.empty() && u.credential.front().first == "password",
              "a user without a password");
  } catch (const std::runtime_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  auto user = in.ConsumeRandomLengthString(64);
  auto client_id = in.ConsumeRandomLengthString(64);
  auto topic = in.ConsumeRandomLengthString(128);
  bool anonymous = in.ConsumeBool();
  auto text = in.ConsumeRemainingBytesAsString();

  auth::WhoAsks who;
  who.username = anonymous ? nullptr : &user;
  who.client_id = client_id;
  who.address = boost::asio::ip::make_address("10.1.2.3");
  if (!anonymous) check_own_subtree(who, user, topic);
  check_rules(text, who, topic);
  check_users(text);
  return 0;
}
