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

std::string sha256_hex(std::string_view data) { return auth::hex_digest(auth::HashAlgo::sha256, data); }

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("EVP_DigestInit_ex(sha256) failed");
}

Sha256::~Sha256() = default;

void Sha256::update(const char* data, std::size_t size) {
  if (EVP_DigestUpdate(ctx_->md, data, size) != 1) throw std::runtime_error("EVP_DigestUpdate failed");
}

std::string Sha256::hex_final() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1) throw std::runtime_error("EVP_DigestFinal_ex failed");
  return hex(std::string_view(reinterpret_cast<const char*>(out), len));
}

std::string binding_code() {
  static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";  // 32: no modulo bias
  std::string out;
  for (unsigned char b : random_bytes(12)) out += alphabet[b & 31];
  return out;
}

}  // namespace http::detail
