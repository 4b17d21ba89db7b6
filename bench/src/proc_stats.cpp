#include "bench/proc_stats.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace bench {
namespace {

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<std::uint64_t> number_at(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p == s.data()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::uint64_t> status_kib(std::string_view status, std::string_view key) {
  std::size_t at = 0;
  while (at < status.size()) {
    auto nl = status.find('\n', at);
    std::string_view line = status.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':')
      return number_at(line.substr(key.size() + 1));
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> stat_cpu_ticks(std::string_view stat) {
  auto close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(close + 1);
  // After ')' come field 3 (state) onwards; utime is field 14, the 12th of these.
  std::uint64_t ticks = 0;
  int field = 2;
  std::size_t at = 0;
  while (at < rest.size() && field < 15) {
    while (at < rest.size() && rest[at] == ' ') ++at;
    auto end = rest.find(' ', at);
    std::string_view tok = rest.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    ++field;
    if (field == 14 || field == 15) {
      auto v = number_at(tok);
      if (!v) return std::nullopt;
      ticks += *v;
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  if (field < 15) return std::nullopt;
  return ticks;
}

std::optional<ProcSample> sample_process(int pid) {
  auto status = slurp("/proc/" + std::to_string(pid) + "/status");
  auto stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  if (!status || !stat) return std::nullopt;
  auto rss = status_kib(*status, "VmRSS");
  auto hwm = status_kib(*status, "VmHWM");
  auto ticks = stat_cpu_ticks(*stat);
  if (!rss || !hwm || !ticks) return std::nullopt;
  return ProcSample{*rss, *hwm, static_cast<double>(*ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK))};
}

}  // namespace bench
