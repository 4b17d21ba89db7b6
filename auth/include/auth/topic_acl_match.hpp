#pragma once
// Topic matching as emqx_auth_redis applies it to ACL rows (emqx_topic:match): level by level,
// '+' in the rule matches one level, a trailing '#' matches the rest (and the parent: "a/#"
// matches "a"). The checked name is compared literally, so a SUBSCRIBE filter's own '+' or '#'
// only matches a rule that has a wildcard there or the same character: subscribing to "#" is not
// allowed by a rule "/L/#". One deliberate difference from EMQX: a rule's '+' does not match a
// filter's '#' level (one level cannot grant many), so "/L/+" does not allow subscribing "/L/#".
// Names starting with '$' are not matched by a rule starting with a
// wildcard.
#include <string_view>

namespace auth {

bool acl_match(std::string_view name, std::string_view rule);

}  // namespace auth
