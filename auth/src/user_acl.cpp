#include "auth/user_acl.hpp"

#include "auth/command_template.hpp"
#include "auth/topic_acl_match.hpp"

namespace auth {

UserAcl::UserAcl(const storage::Fields& rows, std::string_view username, std::string_view client_id, GlobalRules global,
                 bool nomatch_allow)
    : whitelist_(!rows.empty()), global_(std::move(global)), nomatch_allow_(nomatch_allow) {
  for (const auto& [filter, value] : rows) {
    unsigned access = value == "1" ? 1u : value == "2" ? 2u : value == "3" ? 3u : 0u;
    if (access == 0) continue;
    // Rows only grant: one a client's username or id would widen grants nothing (it still makes
    // the user whitelist-only).
    if (auto f = substitute_filter(filter, username, client_id)) rows_.push_back({std::move(*f), access});
  }
}

bool UserAcl::decide(Access access, std::string_view topic) const {
  if (whitelist_) {
    // Whitelist: any row present means nothing else is allowed (emqx_auth_redis).
    for (const auto& r : rows_)
      if ((r.access & static_cast<unsigned>(access)) && acl_match(topic, r.filter)) return true;
    return false;
  }
  if (auto d = global_.decide({}, access, topic)) return *d;
  return nomatch_allow_;
}

bool UserAcl::allow_publish(std::string_view topic) const { return decide(Access::publish, topic); }

bool UserAcl::allow_subscribe(std::string_view filter) const { return decide(Access::subscribe, filter); }

}  // namespace auth
