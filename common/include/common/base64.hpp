#pragma once
// Base64, the standard alphabet with padding (RFC 4648 section 4): the login's key and pwd, lock
// passwords, the WebSocket key, and HTTP Basic credentials, which anyone on the internet sends.
#include <optional>
#include <string>
#include <string_view>

namespace common {

std::string base64_encode(std::string_view bytes);

// The bytes of `text`, or nothing when it is not canonical base64: a length that is not a
// multiple of 4, a byte outside the alphabet (whitespace and line breaks included), '=' anywhere
// but as one or two final characters, or non-zero bits under the padding. Every accepted text is
// then exactly base64_encode() of what it decodes to, so two spellings never name one secret.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace common
