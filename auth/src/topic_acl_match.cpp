#include "auth/topic_acl_match.hpp"

namespace auth {
namespace {

// Next level of `s` from `pos`; advances `pos` past the separator, or to npos after the last.
std::string_view next_level(std::string_view s, std::size_t& pos) {
  auto slash = s.find('/', pos);
  std::string_view level = s.substr(pos, slash == std::string_view::npos ? s.npos : slash - pos);
  pos = slash == std::string_view::npos ? std::string_view::npos : slash + 1;
  return level;
}

}  // namespace

bool acl_match(std::string_view name, std::string_view rule) {
  if (!name.empty() && name[0] == '$' && !rule.empty() && (rule[0] == '+' || rule[0] == '#')) return false;
  std::size_t n = 0, r = 0;
  for (;;) {
    if (r == std::string_view::npos) return n == std::string_view::npos;
    std::string_view rl = next_level(rule, r);
    if (rl == "#" && r == std::string_view::npos) return true;
    if (n == std::string_view::npos) return false;
    std::string_view nl = next_level(name, n);
    // '+' stands for one level; a subscription's '#' covers many, so only '#' or "#" grants it
    // (EMQX lets '+' match it too, which hands out more than the rule says).
    if (rl == "+" ? nl == "#" : rl != nl) return false;
  }
}

}  // namespace auth
