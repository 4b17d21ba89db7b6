#pragma once
#include <string>
#include <string_view>

namespace bench {

// Standard base64 with padding, as the login's `key` and `pwd` and the WebSocket key use it.
std::string base64(std::string_view bytes);

}  // namespace bench
