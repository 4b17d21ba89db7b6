#pragma once
// Reads named fields out of one flat JSON object (an OTA offer) without building a tree: the lock
// needs three strings and a number, and an MCU has no heap for a DOM. Nested values of other
// fields are skipped, so the offer can grow fields the lock does not know yet.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace firmware {

// Finds the top-level member `key` and copies its string value, unescaped, into out[capacity]
// (NUL-terminated). False when the text is not a JSON object, the key is missing or not a string,
// the value has \u escapes, or it does not fit.
bool json_string_field(std::string_view json, std::string_view key, char* out, std::size_t capacity,
                       std::size_t* length = nullptr);

// The same for a non-negative integer member.
bool json_uint_field(std::string_view json, std::string_view key, std::uint64_t& out);

}  // namespace firmware
