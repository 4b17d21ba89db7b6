#pragma once
// Topic names and filters as MQTT 3.1.1 section 4.7 defines them. Levels are split on '/', so
// "/lock/m" has an empty first level: lock topics all start that way.
#include <cstddef>
#include <string_view>

namespace broker {

// A topic name a client may publish to: non-empty, no '+' or '#', at most 65535 bytes.
// (UTF-8 validity is checked by the codec.)
bool valid_topic_name(std::string_view topic);

// A filter: '#' only as the whole last level, '+' only as a whole level.
bool valid_topic_filter(std::string_view filter);

// Whether `filter` matches `topic`, with the rule that a topic starting with '$' is not matched
// by a filter starting with a wildcard.
bool topic_matches(std::string_view filter, std::string_view topic);

// How deep and how long a topic or filter may be (limits.max_topic_levels, max_topic_length).
// Every level costs a node in the subscription tree (about 100 bytes) or the retained store
// (about 250), and a stack frame when either is walked, so a 65,535-byte "a/a/a/..." filter held
// 32,768 of them: 3 MB for one subscription, 8 MB for one retained topic. EMQX stops at 128 too.
struct TopicLimits {
  std::size_t max_levels = 128;
  std::size_t max_length = 1024;
};

// The number of levels of `s` (one more than its '/'s).
std::size_t topic_levels(std::string_view s);
// Whether a topic name or filter stays within `limits`.
bool within_limits(std::string_view s, const TopicLimits& limits);

// The level of `s` starting at `pos`; `next` is where the following level starts, or npos after
// the last one. The tries walk topics and filters with it.
std::string_view topic_level(std::string_view s, std::size_t pos, std::size_t& next);

}  // namespace broker
