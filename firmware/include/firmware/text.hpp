#pragma once
// Building text (topics, JSON reports, HTTP requests) in a fixed buffer. Overflow is sticky: once
// something did not fit, ok() stays false and the caller drops the whole message.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace firmware {

class TextWriter {
 public:
  TextWriter(char* buffer, std::size_t capacity) : buf_(buffer), cap_(capacity) {
    if (cap_ > 0) buf_[0] = '\0';
  }

  TextWriter& add(std::string_view s);
  TextWriter& add(char c) { return add(std::string_view(&c, 1)); }
  TextWriter& add_uint(std::uint64_t v);

  bool ok() const { return ok_; }
  std::size_t size() const { return len_; }
  std::string_view view() const { return {buf_, len_}; }

 private:
  char* buf_;
  std::size_t cap_;  // includes room for the terminating NUL
  std::size_t len_ = 0;
  bool ok_ = true;
};

// Parses a decimal number that must fill `s` entirely; false on anything else or on overflow.
bool parse_uint(std::string_view s, std::uint64_t& out);

bool equals_nocase(std::string_view a, std::string_view b);

}  // namespace firmware
