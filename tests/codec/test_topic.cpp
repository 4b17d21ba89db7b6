#include <doctest/doctest.h>

#include <string>

#include "broker/topic.hpp"

using broker::topic_matches;

TEST_CASE("topic filters match as MQTT 3.1.1 section 4.7 says") {
  CHECK(topic_matches("a/b", "a/b"));
  CHECK_FALSE(topic_matches("a/b", "a/c"));
  CHECK(topic_matches("a/+", "a/b"));
  CHECK_FALSE(topic_matches("a/+", "a/b/c"));
  CHECK(topic_matches("a/#", "a"));  // '#' also matches the parent level
  CHECK(topic_matches("a/#", "a/b/c"));
  CHECK(topic_matches("#", "a/b"));
  CHECK(topic_matches("+/+", "/finance"));
  CHECK(topic_matches("/+", "/finance"));
  CHECK_FALSE(topic_matches("+", "/finance"));
  CHECK(topic_matches("+/b", "/b"));  // "+" matches the empty first level
  CHECK(topic_matches("+/b", "a/b"));
  CHECK(topic_matches("/12345678901/#", "/12345678901/m"));
  CHECK_FALSE(topic_matches("/12345678901/#", "/12345678902/m"));
  CHECK(topic_matches("a/+/c", "a//c"));
  CHECK(topic_matches("a//c", "a//c"));
  CHECK_FALSE(topic_matches("a/b/", "a/b"));
  CHECK(topic_matches("a/b/+", "a/b/"));
}

TEST_CASE("topics starting with $ are not matched by leading wildcards") {
  CHECK_FALSE(topic_matches("#", "$SYS/broker/uptime"));
  CHECK_FALSE(topic_matches("+/broker/uptime", "$SYS/broker/uptime"));
  CHECK(topic_matches("$SYS/#", "$SYS/broker/uptime"));
  CHECK(topic_matches("$SYS/broker/+", "$SYS/broker/uptime"));
}

TEST_CASE("filter and name validity") {
  CHECK(broker::valid_topic_filter("#"));
  CHECK(broker::valid_topic_filter("+"));
  CHECK(broker::valid_topic_filter("/+/m"));
  CHECK(broker::valid_topic_filter("a/#"));
  CHECK_FALSE(broker::valid_topic_filter("a/#/b"));
  CHECK_FALSE(broker::valid_topic_filter("a#"));
  CHECK_FALSE(broker::valid_topic_filter("a/b+"));
  CHECK_FALSE(broker::valid_topic_filter(""));
  CHECK(broker::valid_topic_name("/"));
  CHECK_FALSE(broker::valid_topic_name("a/+"));
  CHECK_FALSE(broker::valid_topic_name("#"));
  CHECK_FALSE(broker::valid_topic_name(""));
}

TEST_CASE("topic limits count levels and bytes") {
  using broker::topic_levels;
  using broker::TopicLimits;
  using broker::within_limits;
  CHECK(topic_levels("a") == 1);
  CHECK(topic_levels("/") == 2);  // an empty level on each side
  CHECK(topic_levels("/12345678901/statu") == 3);
  CHECK(topic_levels("a//#") == 3);
  TopicLimits limits{3, 10};
  CHECK(within_limits("a/b/c", limits));
  CHECK_FALSE(within_limits("a/b/c/d", limits));      // 4 levels
  CHECK_FALSE(within_limits("///", limits));          // 4 empty levels
  CHECK(within_limits("0123456789", limits));         // 10 bytes
  CHECK_FALSE(within_limits("0123456789a", limits));  // 11 bytes
  TopicLimits defaults;
  CHECK(defaults.max_levels == 128);
  std::string deep;
  for (int i = 0; i < 128; ++i) deep += i ? "/a" : "a";
  CHECK(within_limits(deep, defaults));
  CHECK_FALSE(within_limits(deep + "/a", defaults));
}
