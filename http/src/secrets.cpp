#include "secrets.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "auth/password.hpp"

namespace http::detail {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string sha256_hex(std::string_view data) { return auth::hex_digest(auth::HashAlgo::sha256, data); }

std::string binding_code() {
  static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";  // 32: no modulo bias
  std::string out;
  for (unsigned char b : random_bytes(12)) out += alphabet[b & 31];
  return out;
}

}  // namespace http::detail
