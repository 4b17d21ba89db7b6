#pragma once
// Random credentials and binding codes from OpenSSL's CSPRNG. Password hashing and constant-time
// comparison come from auth/ (auth/password.hpp), so what the API writes is what auth/ checks.
#include <memory>
#include <string>
#include <string_view>

namespace http::detail {

std::string random_bytes(std::size_t n);
std::string sha256_hex(std::string_view data);
std::string hex(std::string_view bytes);

// SHA-256 over data that arrives in pieces (a firmware image streamed to disk).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  void update(const char* data, std::size_t size);
  std::string hex_final();  // once; then the object is spent

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// A binding code a person can type from a label: 12 characters without 0/O or 1/I.
std::string binding_code();

}  // namespace http::detail
