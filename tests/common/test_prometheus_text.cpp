// The Prometheus text format as the exposition format (0.0.4) spells it, compared as whole text.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "common/prometheus_text.hpp"

using common::PrometheusText;

TEST_CASE("a counter and a gauge: HELP, TYPE, one unlabelled sample each") {
  std::string out;
  PrometheusText(out).counter("sakura_x_total", "things done", 42u).gauge("sakura_y", "things held", -3);
  CHECK(out ==
        "# HELP sakura_x_total things done\n"
        "# TYPE sakura_x_total counter\n"
        "sakura_x_total 42\n"
        "# HELP sakura_y things held\n"
        "# TYPE sakura_y gauge\n"
        "sakura_y -3\n");
}

TEST_CASE("a family with labelled samples") {
  std::string out;
  PrometheusText p(out);
  p.family("sakura_refused_total", PrometheusText::Type::counter, "refusals by listener and reason");
  p.sample("sakura_refused_total", {{"listener", "mqtt"}, {"reason", "rate"}}, std::uint64_t{7});
  p.sample("sakura_refused_total", {{"listener", "ws"}, {"reason", "address"}}, 0);
  CHECK(out ==
        "# HELP sakura_refused_total refusals by listener and reason\n"
        "# TYPE sakura_refused_total counter\n"
        "sakura_refused_total{listener=\"mqtt\",reason=\"rate\"} 7\n"
        "sakura_refused_total{listener=\"ws\",reason=\"address\"} 0\n");
}

TEST_CASE("label values escape backslash, double quote and line feed; nothing else") {
  std::string out;
  PrometheusText(out).sample("m", {{"l", "a\\b\"c\nd\te'f"}}, 1);
  // a \ b " c LF d TAB e ' f: the tab and the single quote pass as they are.
  CHECK(out == "m{l=\"a\\\\b\\\"c\\nd\te'f\"} 1\n");
  // A value that tries to close the label set and start a forged sample stays one label value.
  out.clear();
  PrometheusText(out).sample("m", {{"listener", "x\"} 1\nsakura_forged 9\n#"}}, 2);
  CHECK(out == "m{listener=\"x\\\"} 1\\nsakura_forged 9\\n#\"} 2\n");
  CHECK(out.find('\n') == out.size() - 1);  // one line
}

TEST_CASE("HELP text escapes backslash and line feed, not double quotes") {
  std::string out;
  PrometheusText(out).family("m", PrometheusText::Type::gauge, "a \\ b \"c\"\nd");
  CHECK(out == "# HELP m a \\\\ b \"c\"\\nd\n# TYPE m gauge\n");
}

TEST_CASE("values: integers exact at their limits, doubles shortest, special values spelled") {
  auto one = [](auto v) {
    std::string out;
    PrometheusText(out).sample("m", {}, v);
    return out;
  };
  CHECK(one(std::numeric_limits<std::uint64_t>::max()) == "m 18446744073709551615\n");
  CHECK(one(std::numeric_limits<std::int64_t>::min()) == "m -9223372036854775808\n");
  CHECK(one(true) == "m 1\n");
  CHECK(one(0.125) == "m 0.125\n");
  CHECK(one(0.1) == "m 0.1\n");
  CHECK(one(2.0) == "m 2\n");
  CHECK(one(1e-7) == "m 1e-07\n");
  CHECK(one(std::numeric_limits<double>::quiet_NaN()) == "m NaN\n");
  CHECK(one(std::numeric_limits<double>::infinity()) == "m +Inf\n");
  CHECK(one(-std::numeric_limits<double>::infinity()) == "m -Inf\n");
}
