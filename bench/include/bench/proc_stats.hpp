#pragma once
// What the OS says about a process (the broker under test): resident memory now and at its peak
// from /proc/<pid>/status, CPU seconds from /proc/<pid>/stat. The parsers take the file text so
// they are tested without a process.
#include <cstdint>
#include <optional>
#include <string_view>

namespace bench {

struct ProcSample {
  std::uint64_t rss_kib = 0;  // VmRSS
  std::uint64_t hwm_kib = 0;  // VmHWM, the peak resident set
  double cpu_seconds = 0;     // utime + stime
};

// The value of a "Key:   1234 kB" line of /proc/<pid>/status.
std::optional<std::uint64_t> status_kib(std::string_view status, std::string_view key);
// utime + stime (fields 14 and 15) of /proc/<pid>/stat, in clock ticks. The command name in
// field 2 may hold spaces and parentheses, so fields are counted after its last ')'.
std::optional<std::uint64_t> stat_cpu_ticks(std::string_view stat);

std::optional<ProcSample> sample_process(int pid);

}  // namespace bench
