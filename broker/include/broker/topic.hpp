#pragma once
// Topic names and filters as MQTT 3.1.1 section 4.7 defines them. Levels are split on '/', so
// "/lock/m" has an empty first level: lock topics all start that way.
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

// The level of `s` starting at `pos`; `next` is where the following level starts, or npos after
// the last one. The tries walk topics and filters with it.
std::string_view topic_level(std::string_view s, std::size_t pos, std::size_t& next);

}  // namespace broker
