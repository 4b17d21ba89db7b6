#pragma once
// What makes a name a lockno, for every module that must recognize one: the lock rules (which
// topics are a lock's, which accounts are locks), auth (the `lock` who of the global ACL rules)
// and the HTTP API (which names it registers). One definition, so they cannot drift.
#include <cctype>
#include <cstddef>
#include <string_view>

namespace storage {

constexpr std::size_t lockno_length = 11;

// A lockno has exactly 11 characters (INTERFACES.md); nothing more is known of the shape of the
// locks already in the field, so this is all that recognizing one may assume.
inline bool is_lockno(std::string_view s) { return s.size() == lockno_length; }

// The stricter shape Sakura accepts when it registers a new lock (and uses in file names):
// letters, digits, '-' and '_'.
inline bool is_registrable_lockno(std::string_view s) {
  if (!is_lockno(s)) return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace storage
