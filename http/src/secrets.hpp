#pragma once
// Random credentials and binding codes from OpenSSL's CSPRNG. Password hashing and constant-time
// comparison come from auth/ (auth/password.hpp), so what the API writes is what auth/ checks.
#include <string>
#include <string_view>

namespace http::detail {

std::string random_bytes(std::size_t n);
std::string base64(std::string_view bytes);
std::string sha256_hex(std::string_view data);

// A binding code a person can type from a label: 12 characters without 0/O or 1/I.
std::string binding_code();

}  // namespace http::detail
