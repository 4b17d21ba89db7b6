#include "bench/stamp.hpp"

#include <time.h>

namespace bench {
namespace {

// Little-endian whatever the host, so a capture reads the same on any machine.
void put(char* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>(v >> (8 * i) & 0xFF);
}

std::uint64_t get(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

}  // namespace

void write_stamp(std::string& payload, const Stamp& s) {
  char* p = payload.data();
  put(p, s.sent_ns, 8);
  put(p + 8, s.publisher, 4);
  put(p + 12, s.seq, 4);
}

std::optional<Stamp> read_stamp(std::string_view payload) {
  if (payload.size() < kStampSize) return std::nullopt;
  Stamp s;
  s.sent_ns = get(payload.data(), 8);
  s.publisher = static_cast<std::uint32_t>(get(payload.data() + 8, 4));
  s.seq = static_cast<std::uint32_t>(get(payload.data() + 12, 4));
  return s;
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace bench
