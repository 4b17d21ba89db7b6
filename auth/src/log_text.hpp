#pragma once
// auth/'s name for broker::log_text (broker/log_text.hpp), the one escaper of client text in logs.
#include "broker/log_text.hpp"

namespace auth::detail {
using broker::log_text;
}  // namespace auth::detail
