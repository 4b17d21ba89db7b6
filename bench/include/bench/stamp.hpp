#pragma once
// The first 16 bytes of every benchmark payload: send time, publisher and sequence number, so a
// subscriber measures latency and counts losses and duplicates without any shared state.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bench {

struct Stamp {
  std::uint64_t sent_ns = 0;  // CLOCK_MONOTONIC, shared by every process on the machine
  std::uint32_t publisher = 0;
  std::uint32_t seq = 0;
};

constexpr std::size_t kStampSize = 16;

// Writes `s` over the first 16 bytes of `payload`, which must be at least that long.
void write_stamp(std::string& payload, const Stamp& s);
std::optional<Stamp> read_stamp(std::string_view payload);

std::uint64_t monotonic_ns();

}  // namespace bench
