#include "auth/command_template.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace auth {
namespace {

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

namespace {

// substitute(), also marking in `from_client` (when given) which output bytes a placeholder
// produced; `used_client_id` says whether %c occurred.
std::string substitute_marking(std::string_view pattern, std::string_view username, std::string_view client_id,
                               std::vector<bool>* from_client, bool* used_client_id) {
  std::string out;
  out.reserve(pattern.size() + username.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size()) {
      char n = pattern[i + 1];
      if (n == 'u' || n == 'c' || n == '%') {
        std::string_view value = n == 'u' ? username : n == 'c' ? client_id : std::string_view("%");
        out.append(value);
        if (from_client) from_client->resize(out.size(), n != '%');
        if (n == 'c' && used_client_id) *used_client_id = true;
        ++i;
        continue;
      }
    }
    out.push_back(pattern[i]);
    if (from_client) from_client->push_back(false);
  }
  return out;
}

}  // namespace

std::string substitute(std::string_view pattern, std::string_view username, std::string_view client_id) {
  return substitute_marking(pattern, username, client_id, nullptr, nullptr);
}

std::optional<std::string> substitute_filter(std::string_view filter, std::string_view username,
                                             std::string_view client_id) {
  std::vector<bool> from_client;
  bool used_client_id = false;
  std::string out = substitute_marking(filter, username, client_id, &from_client, &used_client_id);
  if (used_client_id && client_id.find('/') != std::string_view::npos) return std::nullopt;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    std::string_view level(out.data() + start, end - start);
    if ((level == "+" || level == "#") && from_client[start]) return std::nullopt;
    if (end == out.size()) return out;
    start = end + 1;
  }
}

std::optional<CommandTemplate> CommandTemplate::parse(std::string_view text, std::vector<Verb> allowed,
                                                      std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<CommandTemplate> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  auto w = words(text);
  if (w.size() < 2) return fail("expected '<HMGET|HGET|HGETALL> <key> [fields...]'");
  CommandTemplate t;
  auto verb = upper(w[0]);
  if (verb == "HMGET") t.verb = Verb::hmget;
  else if (verb == "HGET") t.verb = Verb::hget;
  else if (verb == "HGETALL") t.verb = Verb::hgetall;
  else return fail("unsupported command '" + w[0] + "'");
  if (std::find(allowed.begin(), allowed.end(), t.verb) == allowed.end())
    return fail("command '" + w[0] + "' is not allowed here");
  t.key_pattern = w[1];
  t.fields.assign(w.begin() + 2, w.end());
  if (t.verb == Verb::hgetall && !t.fields.empty()) return fail("HGETALL takes only a key");
  if (t.verb == Verb::hget && t.fields.size() != 1) return fail("HGET takes a key and one field");
  if (t.verb == Verb::hmget && t.fields.empty()) return fail("HMGET needs at least one field");
  return t;
}

std::string CommandTemplate::key(std::string_view username, std::string_view client_id) const {
  return substitute(key_pattern, username, client_id);
}

}  // namespace auth
