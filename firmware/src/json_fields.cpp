#include "firmware/json_fields.hpp"

#include "firmware/text.hpp"

namespace firmware {
namespace {

// A cursor over the text; each skip_* returns false on anything that is not valid JSON there.
struct Scanner {
  std::string_view s;
  std::size_t i = 0;

  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  }
  // A string starting at the opening quote; [begin, end) is its raw (still escaped) content.
  bool string(std::size_t& begin, std::size_t& end) {
    ws();
    if (i >= s.size() || s[i] != '"') return false;
    begin = ++i;
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        end = i++;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      i += c == '\\' ? 2 : 1;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (s.size() - i >= word.size() && std::string_view(s.data() + i, word.size()) == word) {
      i += word.size();
      return true;
    }
    return false;
  }
  bool number() {
    std::size_t start = i;
    while (i < s.size() && (std::string_view("0123456789+-.eE").find(s[i]) != std::string_view::npos)) ++i;
    return i > start;
  }
  // Any value. Nesting is bounded so hostile input cannot exhaust the stack.
  bool value(int depth = 0) {
    if (depth > 8) return false;
    ws();
    if (i >= s.size()) return false;
    std::size_t b, e;
    switch (s[i]) {
      case '"': return string(b, e);
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      case '{': {
        ++i;
        if (eat('}')) return true;
        do {
          if (!string(b, e) || !eat(':') || !value(depth + 1)) return false;
        } while (eat(','));
        return eat('}');
      }
      case '[': {
        ++i;
        if (eat(']')) return true;
        do {
          if (!value(depth + 1)) return false;
        } while (eat(','));
        return eat(']');
      }
      default: return number();
    }
  }
};

// Positions the scanner on the value of top-level member `key`.
bool find_member(Scanner& sc, std::string_view key) {
  if (!sc.eat('{')) return false;
  if (sc.eat('}')) return false;
  do {
    std::size_t b, e;
    if (!sc.string(b, e) || !sc.eat(':')) return false;
    // Keys with escapes never match: the lock's keys are plain ASCII.
    if (std::string_view(sc.s.data() + b, e - b) == key) {
      sc.ws();
      return true;
    }
    if (!sc.value()) return false;
  } while (sc.eat(','));
  return false;
}

}  // namespace

bool json_string_field(std::string_view json, std::string_view key, char* out, std::size_t capacity,
                       std::size_t* length) {
  Scanner sc{json};
  std::size_t b, e;
  if (!find_member(sc, key) || !sc.string(b, e)) return false;
  std::size_t n = 0;
  for (std::size_t i = b; i < e; ++i) {
    char c = json[i];
    if (c == '\\') {
      char x = json[++i];
      switch (x) {
        case '"':
        case '\\':
        case '/': c = x; break;
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        default: return false;  // \u: never needed in a version, URL or digest
      }
    }
    if (n + 1 >= capacity) return false;
    out[n++] = c;
  }
  out[n] = '\0';
  if (length) *length = n;
  return true;
}

bool json_uint_field(std::string_view json, std::string_view key, std::uint64_t& out) {
  Scanner sc{json};
  if (!find_member(sc, key)) return false;
  std::size_t start = sc.i;
  while (sc.i < json.size() && json[sc.i] >= '0' && json[sc.i] <= '9') ++sc.i;
  // 4096.5 or 4e3 is a number, but not the whole number of bytes an image has.
  if (sc.i < json.size() && (json[sc.i] == '.' || json[sc.i] == 'e' || json[sc.i] == 'E')) return false;
  return parse_uint(std::string_view(json.data() + start, sc.i - start), out);
}

}  // namespace firmware
