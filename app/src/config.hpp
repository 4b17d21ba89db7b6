#pragma once
// Sakura's settings: an INI file, then SAKURA_* environment variables, then --set overrides, all
// checked against one schema (config_schema.cpp) so a wrong key or value stops the start with a
// message naming it. See docs/configuration.md for every key.
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace app {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class ValueType { string, boolean, integer, duration, size, bind, choice };

struct KeySpec {
  std::string key;  // "listener.tcp.bind"
  ValueType type;
  std::string default_value;  // as it would be written in the file; empty = unset
  std::string help;
  std::vector<std::string> choices;  // for ValueType::choice
  bool secret = false;               // never logged
};

const std::vector<KeySpec>& schema();

class Config {
 public:
  // Defaults from the schema only.
  Config();
  // Each layer validates as it goes; the first error throws ConfigError naming key and source.
  void load_file(const std::string& path);
  void load_environment(char** envp);
  void set(const std::string& assignment, const std::string& source = "--set");  // "key=value"
  void set(const std::string& key, const std::string& value, const std::string& source);

  bool has(const std::string& key) const;  // set to a non-empty value
  const std::string& raw(const std::string& key) const;
  std::string str(const std::string& key) const { return raw(key); }
  bool boolean(const std::string& key) const;
  std::int64_t integer(const std::string& key) const;
  std::chrono::milliseconds duration(const std::string& key) const;
  std::uint64_t size(const std::string& key) const;
  // A listener bind address; false when the value is "off".
  bool enabled(const std::string& key) const { return raw(key) != "off"; }

  // Every key with its value, secrets masked: for `--print-config` and the start-up log.
  std::vector<std::pair<std::string, std::string>> dump() const;

  static std::string env_name(const std::string& key);
  static std::chrono::milliseconds parse_duration(const std::string& text);
  static std::uint64_t parse_size(const std::string& text);

 private:
  const KeySpec& spec(const std::string& key, const std::string& source) const;
  std::map<std::string, std::string> values_;
};

}  // namespace app
