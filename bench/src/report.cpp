#include "bench/report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace bench {
namespace {

// Failure reasons come from error messages: keep them on one line and free of the separator.
std::string clean(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return s;
}

bool split_tab(std::string_view line, std::string_view& a, std::string_view& b) {
  auto tab = line.find('\t');
  if (tab == std::string_view::npos) return false;
  a = line.substr(0, tab);
  b = line.substr(tab + 1);
  return true;
}

bool to_u64(std::string_view s, std::uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

}  // namespace

std::uint64_t Report::get(const std::string& counter) const {
  auto it = counters.find(counter);
  return it == counters.end() ? 0 : it->second;
}

void Report::time(const std::string& key, std::uint64_t ns) {
  auto [it, fresh] = times.emplace(key, ns);
  if (fresh) return;
  if (key.rfind("first_", 0) == 0) it->second = std::min(it->second, ns);
  else it->second = std::max(it->second, ns);
}

std::uint64_t Report::time_of(const std::string& key) const {
  auto it = times.find(key);
  return it == times.end() ? 0 : it->second;
}

double Report::seconds(const std::string& from, const std::string& to) const {
  auto a = time_of(from), b = time_of(to);
  if (!a || !b || b < a) return 0.0;
  return static_cast<double>(b - a) / 1e9;
}

void Report::merge(const Report& other) {
  for (auto& [k, v] : other.counters) counters[k] += v;
  for (auto& [k, v] : other.times) time(k, v);
  for (auto& [k, v] : other.failures) failures[k] += v;
  for (auto& [k, h] : other.histograms) histograms[k].merge(h);
}

std::string Report::serialize() const {
  std::string out;
  for (auto& [k, v] : counters) out += fmt::format("c\t{}\t{}\n", k, v);
  for (auto& [k, v] : times) out += fmt::format("t\t{}\t{}\n", k, v);
  for (auto& [k, v] : failures) out += fmt::format("f\t{}\t{}\n", clean(k), v);
  for (auto& [k, h] : histograms) out += fmt::format("h\t{}\t{}\n", k, h.serialize());
  out += "end\n";
  return out;
}

bool Report::parse(std::string_view text) {
  Report r;
  bool ended = false;
  while (!text.empty()) {
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) return false;
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line == "end") {
      ended = true;
      break;
    }
    if (line.size() < 2 || line[1] != '\t') return false;
    std::string_view key, value;
    if (!split_tab(line.substr(2), key, value)) return false;
    std::uint64_t n = 0;
    switch (line[0]) {
      case 'c':
        if (!to_u64(value, n)) return false;
        r.counters[std::string(key)] += n;
        break;
      case 't':
        if (!to_u64(value, n)) return false;
        r.time(std::string(key), n);
        break;
      case 'f':
        if (!to_u64(value, n)) return false;
        r.failures[std::string(key)] += n;
        break;
      case 'h':
        if (!r.histograms[std::string(key)].parse(value)) return false;
        break;
      default: return false;
    }
  }
  if (!ended || !text.empty()) return false;
  *this = std::move(r);
  return true;
}

std::string render_table(const std::string& title, const std::vector<Metric>& metrics,
                         const std::map<std::string, std::uint64_t>& failures) {
  std::size_t width = 0;
  for (auto& m : metrics) width = std::max(width, m.name.size());
  std::string out = title + "\n";
  for (auto& m : metrics) {
    // Whole numbers print without decimals; rates and ratios keep enough to compare runs.
    bool whole = std::floor(m.value) == m.value && std::fabs(m.value) < 1e15;
    std::string v = whole ? fmt::format("{:.0f}", m.value) : fmt::format("{:.3f}", m.value);
    out += fmt::format("  {:<{}}  {:>14} {}\n", m.name, width, v, m.unit);
  }
  if (!failures.empty()) {
    out += "  failures:\n";
    for (auto& [reason, n] : failures) out += fmt::format("    {:>8}  {}\n", n, reason);
  }
  return out;
}

std::string render_json(const std::map<std::string, std::string>& settings, const std::vector<Metric>& metrics,
                        const std::map<std::string, std::uint64_t>& failures) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (auto& [k, v] : settings) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  }
  for (auto& m : metrics) {
    w.Key(m.name.c_str(), static_cast<rapidjson::SizeType>(m.name.size()));
    if (std::floor(m.value) == m.value && std::fabs(m.value) < 9e15) w.Int64(static_cast<std::int64_t>(m.value));
    else w.Double(m.value);
  }
  w.Key("failures");
  w.StartObject();
  for (auto& [reason, n] : failures) {
    w.Key(reason.c_str(), static_cast<rapidjson::SizeType>(reason.size()));
    w.Uint64(n);
  }
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

}  // namespace bench
