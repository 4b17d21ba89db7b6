#pragma once
// sakura-lock's command line.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "firmware/config.hpp"

namespace locksim {

struct Options {
  std::string broker_host = "127.0.0.1";
  std::uint16_t broker_port = 1883;
  std::string lockno;         // one lock
  std::string lockno_prefix;  // or --count locks named prefix + zero-padded index (11 characters)
  std::size_t count = 1;
  std::string password;
  // From --credentials FILE: one "lockno password" per line; the fleet is exactly these locks.
  std::vector<std::pair<std::string, std::string>> credentials;
  std::string version = "1.0.0";
  bool tls = false;
  std::string cafile;     // with --tls: verify the broker against this CA
  bool insecure = false;  // with --tls: do not verify the broker at all
  std::size_t threads = 1;
  // Each process holds at most this many locks (one socket each, two during OTA, under the
  // 20,000-open-files limit); a larger --count is split over forked worker processes.
  std::size_t locks_per_process = 18000;
  std::uint32_t bolt_ms = 200;  // how long the simulated bolt takes to move
  bool quiet = false;           // no per-lock lines, only summaries
  bool control = false;         // read commands for the locks from stdin (control.hpp)
  std::uint32_t stats_s = 0;    // print a summary every this many seconds (0: never)
  firmware::LockConfig base;    // timers and sizes every simulated lock shares
};

// Parses argv (Boost.Program_options); on error or --help prints to stderr/stdout and returns
// false with `exit_code` set: 0 after --help, 2 after a usage error.
bool parse_options(int argc, char** argv, Options& out, int& exit_code);
// --help's text: every option with its default.
std::string usage();

// The lockno and password of lock `index` (0-based) of the fleet.
std::string lockno_of(const Options& o, std::size_t index);
std::string password_of(const Options& o, std::size_t index);

}  // namespace locksim
