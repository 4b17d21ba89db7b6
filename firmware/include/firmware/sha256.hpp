#pragma once
// SHA-256 (FIPS 180-4) in portable C++ with no tables outside this object's constants, so the lock
// checks an OTA image itself instead of trusting a crypto accelerator it may not have.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace firmware {

class Sha256 {
 public:
  static constexpr std::size_t digest_size = 32;

  Sha256() { reset(); }
  void reset();
  void update(const std::uint8_t* data, std::size_t size);
  void update(std::string_view s) { update(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }
  // Writes the digest; the object must be reset() before it is used again.
  void finish(std::uint8_t (&digest)[digest_size]);

 private:
  void block(const std::uint8_t* p);

  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;  // bytes
};

// 64 hex digits (either case) into 32 bytes; false when `hex` is anything else.
bool parse_sha256_hex(std::string_view hex, std::uint8_t (&digest)[Sha256::digest_size]);

}  // namespace firmware
