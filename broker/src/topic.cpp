#include "broker/topic.hpp"

namespace broker {

bool valid_topic_name(std::string_view topic) {
  if (topic.empty() || topic.size() > 65535) return false;
  return topic.find_first_of("+#") == std::string_view::npos;
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > 65535) return false;
  for (std::size_t i = 0; i < filter.size(); ++i) {
    char c = filter[i];
    if (c != '+' && c != '#') continue;
    bool starts_level = i == 0 || filter[i - 1] == '/';
    bool ends_level = i + 1 == filter.size() || filter[i + 1] == '/';
    if (!starts_level || !ends_level) return false;
    if (c == '#' && i + 1 != filter.size()) return false;
  }
  return true;
}

std::size_t topic_levels(std::string_view s) {
  std::size_t n = 1;
  for (char c : s) n += c == '/';
  return n;
}

bool within_limits(std::string_view s, const TopicLimits& limits) {
  return s.size() <= limits.max_length && topic_levels(s) <= limits.max_levels;
}

std::string_view topic_level(std::string_view s, std::size_t pos, std::size_t& next) {
  auto slash = s.find('/', pos);
  next = slash == std::string_view::npos ? std::string_view::npos : slash + 1;
  return slash == std::string_view::npos ? s.substr(pos) : s.substr(pos, slash - pos);
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#')) return false;
  std::size_t f = 0, t = 0;
  while (true) {
    std::size_t fe = filter.find('/', f);
    std::size_t te = topic.find('/', t);
    std::string_view flevel = filter.substr(f, fe == std::string_view::npos ? std::string_view::npos : fe - f);
    if (flevel == "#") return true;  // also matches the parent level ("a/#" matches "a")
    std::string_view tlevel = topic.substr(t, te == std::string_view::npos ? std::string_view::npos : te - t);
    if (flevel != "+" && flevel != tlevel) return false;
    bool fend = fe == std::string_view::npos, tend = te == std::string_view::npos;
    if (fend && tend) return true;
    if (fend) return false;
    if (tend) {
      // topic exhausted: only a trailing "/#" still matches
      return filter.substr(fe + 1) == "#";
    }
    f = fe + 1;
    t = te + 1;
  }
}

}  // namespace broker
