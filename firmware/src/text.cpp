#include "firmware/text.hpp"

#include <cstring>

#include "firmware/config.hpp"

namespace firmware {

TextWriter& TextWriter::add(std::string_view s) {
  if (!ok_ || cap_ == 0 || s.size() > cap_ - 1 - len_) {
    ok_ = false;
    return *this;
  }
  std::memcpy(buf_ + len_, s.data(), s.size());
  len_ += s.size();
  buf_[len_] = '\0';
  return *this;
}

TextWriter& TextWriter::add_uint(std::uint64_t v) {
  char digits[20];
  std::size_t n = 0;
  do {
    digits[sizeof digits - 1 - n] = static_cast<char>('0' + v % 10);
    v /= 10;
    ++n;
  } while (v != 0);
  return add(std::string_view(digits + sizeof digits - n, n));
}

bool parse_uint(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;  // 19 digits always fit in 64 bits
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool set_field(char* field, std::size_t capacity, const char* value) {
  std::size_t n = std::strlen(value);
  if (n >= capacity) {
    field[0] = '\0';
    return false;
  }
  std::memcpy(field, value, n + 1);
  return true;
}

}  // namespace firmware
