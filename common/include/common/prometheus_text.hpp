#pragma once
// The Prometheus text exposition format (version 0.0.4), written into a string: a family's
// # HELP and # TYPE lines, then its samples. Help text and label values are escaped here, so a
// listener name or any other configured string with a quote, backslash or line break cannot
// break the page or forge another metric. Metric and label names are the caller's constants.
//
// THREADING: none; a writer is used by one thread for one page.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace common {

class PrometheusText {
 public:
  enum class Type { counter, gauge };
  using Label = std::pair<std::string_view, std::string_view>;  // name, value (escaped here)

  explicit PrometheusText(std::string& out) : out_(out) {}

  // "# HELP name help" and "# TYPE name type"; once per family, before its samples.
  PrometheusText& family(std::string_view name, Type type, std::string_view help);

  // "name{label="value",...} value". Integers are written exactly; a double as the shortest
  // text that reads back the same (NaN, +Inf, -Inf as the format spells them).
  template <class T>
  PrometheusText& sample(std::string_view name, std::initializer_list<Label> labels, T value) {
    static_assert(std::is_arithmetic_v<T>);
    begin_sample(name, labels);
    if constexpr (std::is_floating_point_v<T>) append(static_cast<double>(value));
    else if constexpr (std::is_signed_v<T>) append(static_cast<std::int64_t>(value));
    else append(static_cast<std::uint64_t>(value));
    out_ += '\n';
    return *this;
  }

  // A family with one unlabelled sample.
  template <class T>
  PrometheusText& counter(std::string_view name, std::string_view help, T value) {
    return family(name, Type::counter, help).sample(name, {}, value);
  }
  template <class T>
  PrometheusText& gauge(std::string_view name, std::string_view help, T value) {
    return family(name, Type::gauge, help).sample(name, {}, value);
  }

 private:
  void begin_sample(std::string_view name, std::initializer_list<Label> labels);
  void append(std::int64_t v);
  void append(std::uint64_t v);
  void append(double v);

  std::string& out_;
};

}  // namespace common
