#pragma once
// "A later occurrence replaces an earlier one" for command lines: sakura-bench and sakura-lock
// take a repeated option's last value (bench/compare and tests/wire/lock_sim.py pass their
// defaults first and the caller's values after), where Boost.Program_options would refuse the
// repeat. Generic over the option type so common/ needs no Boost.
#include <set>
#include <string>
#include <vector>

namespace common {

// Keeps only the last element of each key, in their original order. `key(element)` returning an
// empty string keeps that element whatever it repeats (so the parser still refuses, e.g., a
// second positional argument).
template <class Option, class KeyOf>
void keep_last_of_each(std::vector<Option>& options, KeyOf key) {
  std::set<std::string> seen;
  std::vector<Option> kept;
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    std::string k = key(*it);
    if (k.empty() || seen.insert(std::move(k)).second) kept.push_back(*it);
  }
  options.assign(kept.rbegin(), kept.rend());
}

}  // namespace common
