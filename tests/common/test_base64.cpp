// Base64 as RFC 4648 section 4 defines it, tested as byte tables: the section 10 vectors both
// ways, every byte value, and the texts a hostile client may send in an Authorization header.
#include <doctest/doctest.h>

#include <string>

#include "common/base64.hpp"

using common::base64_decode;
using common::base64_encode;

TEST_CASE("RFC 4648 section 10 vectors, encoded and decoded") {
  const std::pair<std::string, std::string> table[] = {
      {"", ""},                // empty in, empty out
      {"f", "Zg=="},           // 1 byte: 2 characters, 2 pads
      {"fo", "Zm8="},          // 2 bytes: 3 characters, 1 pad
      {"foo", "Zm9v"},         // one full quantum
      {"foob", "Zm9vYg=="},    // a quantum and 1 byte
      {"fooba", "Zm9vYmE="},   // a quantum and 2 bytes
      {"foobar", "Zm9vYmFy"},  // two quanta
  };
  for (const auto& [plain, encoded] : table) {
    CAPTURE(plain);
    CHECK(base64_encode(plain) == encoded);
    auto back = base64_decode(encoded);
    REQUIRE(back);
    CHECK(*back == plain);
  }
}

TEST_CASE("every byte value, '+' and '/' included, round-trips") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  const auto encoded = base64_encode(all);
  CHECK(encoded.size() == 344);  // 86 quanta, the last with 2 pads
  CHECK(encoded.substr(0, 8) == "AAECAwQF");
  CHECK(encoded.substr(encoded.size() - 8) == "/P3+/w==");  // 0xfc 0xfd 0xfe, then 0xff and 2 pads
  auto back = base64_decode(encoded);
  REQUIRE(back);
  CHECK(*back == all);
  // Bytes that encode to the two non-alphanumeric characters.
  CHECK(base64_encode(std::string("\xfb\xff\xbf", 3)) == "+/+/");
  CHECK(base64_decode("+/+/") == std::string("\xfb\xff\xbf", 3));
  // A NUL inside is data, not an end.
  CHECK(base64_encode(std::string("a\0b", 3)) == "YQBi");
  CHECK(base64_decode("YQBi") == std::string("a\0b", 3));
}

TEST_CASE("an input longer than one OpenSSL call round-trips") {
  std::string big(200'001, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 251);
  const auto encoded = base64_encode(big);
  CHECK(encoded.size() == 266'668);
  auto back = base64_decode(encoded);
  REQUIRE(back);
  CHECK(*back == big);
}

TEST_CASE("text that is not canonical base64 is refused, not decoded in part") {
  const char* refused[] = {
      "Zg",                // length not a multiple of 4 (unpadded)
      "Zg=",               // one pad short
      "Zm9vY",             // a quantum and one character
      "Zg===",             // three pads
      "====",              // nothing but padding
      "=Zg=",              // a pad first
      "Zg=a",              // data after a pad
      "Z===",              // one data character cannot hold a byte
      "Zm9v!mFy",          // a byte outside the alphabet
      "Zm9v-_Fy",          // the URL-safe alphabet is another encoding
      "Zh==",              // non-zero bits under "==": 'h' is 0b100001
      "Zm9=",              // non-zero bits under "=": '9' is 0b111101
      "\xc3\xa9\xc3\xa9",  // UTF-8 outside ASCII
  };
  for (const char* t : refused) {
    CAPTURE(std::string(t));
    CHECK_FALSE(base64_decode(t));
  }
  CHECK_FALSE(base64_decode(std::string("Zm9v\0mFy", 8)));  // NUL
}

TEST_CASE("whitespace and line breaks are refused wherever they are") {
  // OpenSSL's EVP_DecodeBlock trims these at either end; a header value never holds them.
  const char* refused[] = {" Zm9v", "Zm9v ", "Zm9v\n", "\tZm9v", "Zm9v\r\n", "Zm 9v", "Zm9v\nYmFy", "    "};
  for (const char* t : refused) {
    CAPTURE(std::string(t));
    CHECK_FALSE(base64_decode(t));
  }
}
