#include "common/base64.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstddef>

namespace common {
namespace {

// OpenSSL's block calls take an int length: long inputs go through in chunks that keep each
// call's input and output well under INT_MAX and, for decoding, end on a quantum boundary.
constexpr std::size_t kEncodeChunk = 3 * 16 * 1024;  // bytes in, a multiple of 3
constexpr std::size_t kDecodeChunk = 4 * 16 * 1024;  // characters in, a multiple of 4

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// The value of each alphabet character, -1 for every other byte.
constexpr std::array<signed char, 256> kValue = [] {
  std::array<signed char, 256> v{};
  for (auto& x : v) x = -1;
  constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  return v;
}();

int value(char c) { return kValue[static_cast<unsigned char>(c)]; }

// EVP_DecodeBlock alone is too lenient for input from outside: it trims leading and trailing
// whitespace, reads '=' anywhere as zero bits, and counts padding as decoded zero bytes. So the
// text is checked here first and the padding subtracted after.
bool canonical(std::string_view text, std::size_t& padding) {
  if (text.size() % 4 != 0) return false;
  padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t data = text.size() - padding;
  for (std::size_t i = 0; i < data; ++i)
    if (value(text[i]) < 0) return false;
  if (padding == 0) return true;
  // The last data character carries bits past the final byte: 4 of them with "==", 2 with "=".
  const int last = value(text[data - 1]);
  return (last & (padding == 2 ? 0x0f : 0x03)) == 0;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  const std::size_t length = (bytes.size() + 2) / 3 * 4;
  std::string out(length + 1, '\0');  // EVP_EncodeBlock ends each call with a NUL
  std::size_t written = 0;
  for (std::size_t at = 0; at < bytes.size(); at += kEncodeChunk) {
    auto chunk = bytes.substr(at, kEncodeChunk);
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + written), bytes_of(chunk),
                            static_cast<int>(chunk.size()));
    written += static_cast<std::size_t>(n);
  }
  out.resize(length);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::size_t padding = 0;
  if (!canonical(text, padding)) return std::nullopt;
  std::string out;
  out.resize(text.size() / 4 * 3);
  std::size_t written = 0;
  for (std::size_t at = 0; at < text.size(); at += kDecodeChunk) {
    auto chunk = text.substr(at, kDecodeChunk);
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data() + written), bytes_of(chunk),
                            static_cast<int>(chunk.size()));
    if (n < 0 || static_cast<std::size_t>(n) != chunk.size() / 4 * 3) return std::nullopt;
    written += static_cast<std::size_t>(n);
  }
  out.resize(written - padding);
  return out;
}

}  // namespace common
