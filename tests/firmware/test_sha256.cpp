#include <doctest/doctest.h>

#include <string>

#include "fake_platform.hpp"

using fwtest::hex_digest;
using fwtest::sha256_hex;

namespace {

std::string sha(const std::string& text) { return sha256_hex(text); }

}  // namespace

TEST_CASE("SHA-256 matches the FIPS 180-4 example vectors") {
  CHECK(sha("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 gives the same digest however the input is split") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7 + 3);
  std::string whole = sha(data);
  // Splits around the 55/56/64-byte padding boundaries are where an incremental hash breaks.
  for (std::size_t cut : {1u, 55u, 56u, 63u, 64u, 65u, 127u, 128u, 999u}) {
    firmware::Sha256 h;
    h.update(std::string_view(data).substr(0, cut));
    h.update(std::string_view(data).substr(cut));
    CHECK_MESSAGE(hex_digest(h) == whole, "cut at " << cut);
  }
  for (std::size_t len : {55u, 56u, 57u, 63u, 64u, 119u, 120u}) {
    firmware::Sha256 a, b;
    a.update(data.substr(0, len));
    for (std::size_t i = 0; i < len; ++i) b.update(std::string_view(data).substr(i, 1));
    CHECK_MESSAGE(hex_digest(a) == hex_digest(b), "length " << len);
  }
}

TEST_CASE("a SHA-256 digest is read from hex of either case and nothing else") {
  std::uint8_t d[32];
  std::string hex = "BA7816BF8F01CFEA414140DE5DAE2223b00361a396177a9cb410ff61f20015ad";
  REQUIRE(firmware::parse_sha256_hex(hex, d));
  CHECK(d[0] == 0xba);
  CHECK(d[31] == 0xad);
  CHECK_FALSE(firmware::parse_sha256_hex(hex.substr(1), d));
  CHECK_FALSE(firmware::parse_sha256_hex(hex + "0", d));
  hex[10] = 'g';
  CHECK_FALSE(firmware::parse_sha256_hex(hex, d));
}
