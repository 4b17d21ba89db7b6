#include "config.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "broker/listener.hpp"

namespace app {

namespace {
std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool parse_bool(const std::string& v, bool& out) {
  auto l = lower(v);
  if (l == "true" || l == "on" || l == "yes" || l == "1") return out = true, true;
  if (l == "false" || l == "off" || l == "no" || l == "0") return out = false, true;
  return false;
}

// Splits "35s" into 35 and "s"; throws on anything else.
std::pair<std::uint64_t, std::string> number_and_unit(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 15) throw std::invalid_argument("not a number");
  return {std::stoull(text.substr(0, i)), lower(trim(text.substr(i)))};
}
}  // namespace

Config::Config() {
  for (auto& s : schema()) values_[s.key] = s.default_value;
}

const KeySpec& Config::spec(const std::string& key, const std::string& source) const {
  for (auto& s : schema())
    if (s.key == key) return s;
  throw ConfigError(fmt::format("{}: unknown setting '{}'", source, key));
}

std::string Config::env_name(const std::string& key) {
  std::string out = "SAKURA_";
  for (char c : key) {
    if (c == '.') out += "__";
    else out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::chrono::milliseconds Config::parse_duration(const std::string& text) {
  auto [n, unit] = number_and_unit(trim(text));
  if (unit.empty() || unit == "s") return std::chrono::seconds(n);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  if (unit == "h") return std::chrono::hours(n);
  if (unit == "d") return std::chrono::hours(24 * n);
  throw std::invalid_argument("unknown unit '" + unit + "' (use ms, s, m, h or d)");
}

std::uint64_t Config::parse_size(const std::string& text) {
  auto [n, unit] = number_and_unit(trim(text));
  if (unit.empty() || unit == "b") return n;
  if (unit == "k" || unit == "kb" || unit == "kib") return n * 1024;
  if (unit == "m" || unit == "mb" || unit == "mib") return n * 1024 * 1024;
  if (unit == "g" || unit == "gb" || unit == "gib") return n * 1024 * 1024 * 1024;
  throw std::invalid_argument("unknown unit '" + unit + "' (use KiB, MiB or GiB)");
}

void Config::set(const std::string& key, const std::string& value, const std::string& source) {
  auto& s = spec(key, source);
  auto bad = [&](const std::string& why) {
    return ConfigError(fmt::format("{}: invalid value for '{}': {}", source, key, why));
  };
  try {
    switch (s.type) {
      case ValueType::string: break;
      case ValueType::boolean: {
        bool b;
        if (!parse_bool(value, b)) throw bad("expected true or false, got '" + value + "'");
        break;
      }
      case ValueType::integer: {
        std::size_t used = 0;
        (void)std::stoll(value, &used);
        if (used != value.size()) throw bad("expected an integer, got '" + value + "'");
        break;
      }
      case ValueType::duration: parse_duration(value); break;
      case ValueType::size: parse_size(value); break;
      case ValueType::bind:
        if (value != "off") broker::parse_endpoint(value);
        break;
      case ValueType::choice:
        if (std::find(s.choices.begin(), s.choices.end(), value) == s.choices.end()) {
          std::string list;
          for (auto& c : s.choices) list += (list.empty() ? "" : ", ") + c;
          throw bad("expected one of " + list + ", got '" + value + "'");
        }
        break;
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw bad(e.what());
  }
  values_[key] = value;
}

void Config::set(const std::string& assignment, const std::string& source) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos) throw ConfigError(fmt::format("{}: expected key=value, got '{}'", source, assignment));
  set(trim(assignment.substr(0, eq)), trim(assignment.substr(eq + 1)), source);
}

void Config::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("cannot read config file '{}': {}", path, std::strerror(errno)));
  std::string line, section;
  for (int n = 1; std::getline(in, line); ++n) {
    auto t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    auto where = fmt::format("{}:{}", path, n);
    if (t.front() == '[') {
      if (t.back() != ']') throw ConfigError(where + ": malformed section header");
      section = trim(t.substr(1, t.size() - 2));
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos) throw ConfigError(where + ": expected key = value");
    if (section.empty()) throw ConfigError(where + ": key outside any [section]");
    set(section + "." + trim(t.substr(0, eq)), trim(t.substr(eq + 1)), where);
  }
}

void Config::load_environment(char** envp) {
  for (auto& s : schema()) {
    auto name = env_name(s.key);
    if (const char* v = std::getenv(name.c_str())) set(s.key, v, name);
  }
  // A SAKURA_ variable shaped like a setting but naming none is a typo, not something to ignore.
  for (char** e = envp; e && *e; ++e) {
    std::string entry(*e);
    if (entry.rfind("SAKURA_", 0) != 0) continue;
    auto name = entry.substr(0, entry.find('='));
    if (name.find("__") == std::string::npos) continue;
    bool known =
        std::any_of(schema().begin(), schema().end(), [&](const KeySpec& s) { return env_name(s.key) == name; });
    if (!known) throw ConfigError(fmt::format("{}: environment variable names no setting", name));
  }
}

bool Config::has(const std::string& key) const { return !raw(key).empty(); }

const std::string& Config::raw(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw ConfigError("internal: setting '" + key + "' is not in the schema");
  return it->second;
}

bool Config::boolean(const std::string& key) const {
  bool b = false;
  parse_bool(raw(key), b);
  return b;
}

std::int64_t Config::integer(const std::string& key) const { return std::stoll(raw(key)); }
std::chrono::milliseconds Config::duration(const std::string& key) const { return parse_duration(raw(key)); }
std::uint64_t Config::size(const std::string& key) const { return parse_size(raw(key)); }

std::vector<std::pair<std::string, std::string>> Config::dump() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& s : schema()) {
    auto& v = values_.at(s.key);
    out.emplace_back(s.key, s.secret && !v.empty() ? "********" : v);
  }
  return out;
}

}  // namespace app
