#pragma once
// The arithmetic of a run, kept apart from sockets so it is unit tested: how connections split
// over workers and source addresses, which topics each role uses, how many deliveries a run owes,
// and what the counters then say about losses, duplicates and rates.
#include <cstdint>
#include <string>

#include "bench/options.hpp"

namespace bench {

struct Slice {
  std::uint64_t begin = 0;
  std::uint64_t count = 0;
};

// Worker k's share of `total` items: contiguous, sizes differing by at most one.
Slice slice(std::uint64_t total, std::uint32_t workers, std::uint32_t k);

// Connections the whole run opens: locks have two owners each, plus a responder per worker when
// asked.
std::uint64_t total_connections(const Options& o);

// Each loopback source address gives about 28,000 ephemeral ports, but connect() searches them for
// a free one, and that search slows sharply as an address fills (0.4 ms of kernel time a connect
// at 10,000 per address); at 1,000 per address it stays cheap.
constexpr std::uint64_t kConnectionsPerSourceAddress = 1'000;
std::uint32_t auto_source_addresses(std::uint64_t connections);
// Address `index` of `count`, counting from 127.0.0.2 and skipping .0, .1 and .255 of each /24.
std::string source_address(std::uint64_t index, std::uint32_t count);

// Deliveries one published message should produce: every subscriber in fanin and fanout, its one
// partner in p2p.
std::uint64_t deliveries_per_message(Scenario s, std::uint32_t subscribers);

std::string publish_topic(Scenario s, const std::string& run, std::uint64_t publisher);
std::string subscribe_filter(Scenario s, const std::string& run, std::uint64_t subscriber);

struct Tally {
  std::uint64_t lost = 0;        // owed but never seen
  std::uint64_t duplicates = 0;  // seen more than once
};
// `received` counts every delivery, `distinct` each (publisher, sequence) once per subscriber.
Tally tally(std::uint64_t expected, std::uint64_t distinct, std::uint64_t received);

// Messages a publisher running at `rate` per second owes after `elapsed` seconds.
std::uint64_t due(double rate, double elapsed);

double per_second(std::uint64_t count, double seconds);

// Resident memory the broker gained per connection, in KiB (negative gains count as zero).
double kib_per_connection(std::uint64_t rss_before_kib, std::uint64_t rss_after_kib, std::uint64_t connections);

// Lock numbers are 11 characters, as in the field: "B" + 10 digits of the run-wide lock index.
std::string lockno(std::uint64_t index);

}  // namespace bench
