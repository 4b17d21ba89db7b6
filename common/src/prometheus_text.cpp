#include "common/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace common {
namespace {

// HELP text escapes '\' and line feed; label values escape '"' too.
void escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
}

template <class T>
void number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

}  // namespace

PrometheusText& PrometheusText::family(std::string_view name, Type type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += type == Type::counter ? " counter\n" : " gauge\n";
  return *this;
}

void PrometheusText::begin_sample(std::string_view name, std::initializer_list<Label> labels) {
  out_ += name;
  if (labels.size()) {
    char sep = '{';
    for (const auto& [label, value] : labels) {
      out_ += sep;
      out_ += label;
      out_ += "=\"";
      escaped(out_, value, true);
      out_ += '"';
      sep = ',';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void PrometheusText::append(std::int64_t v) { number(out_, v); }
void PrometheusText::append(std::uint64_t v) { number(out_, v); }

void PrometheusText::append(double v) {
  if (std::isnan(v)) out_ += "NaN";
  else if (std::isinf(v)) out_ += v > 0 ? "+Inf" : "-Inf";
  else number(out_, v);
}

}  // namespace common
