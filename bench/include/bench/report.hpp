#pragma once
// What one worker measured, in a form that crosses a pipe to the parent and merges: counters add
// up, "first_*" times keep the earliest and "last_*" the latest, histograms merge bucket by bucket,
// failures add up by reason.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/histogram.hpp"

namespace bench {

struct Report {
  std::map<std::string, std::uint64_t> counters;
  std::map<std::string, std::uint64_t> times;  // CLOCK_MONOTONIC ns; key says first_ or last_
  std::map<std::string, std::uint64_t> failures;
  std::map<std::string, Histogram> histograms;

  void add(const std::string& counter, std::uint64_t n = 1) { counters[counter] += n; }
  std::uint64_t get(const std::string& counter) const;
  void fail(const std::string& reason) { ++failures[reason]; }
  // Keeps the earliest value for first_* keys and the latest for last_* keys.
  void time(const std::string& key, std::uint64_t ns);
  std::uint64_t time_of(const std::string& key) const;
  // Seconds between two recorded times, 0 when either is missing.
  double seconds(const std::string& from, const std::string& to) const;

  void merge(const Report& other);

  // Text lines ending in "end\n"; parse() accepts exactly that and nothing else.
  std::string serialize() const;
  bool parse(std::string_view text);
};

// One line of the readable table and one field of the JSON line.
struct Metric {
  std::string name;
  double value = 0;
  std::string unit;
};

std::string render_table(const std::string& title, const std::vector<Metric>& metrics,
                         const std::map<std::string, std::uint64_t>& failures);
// One line of JSON: {"scenario":..., "label":..., <settings>, <metrics>, "failures":{...}}.
std::string render_json(const std::map<std::string, std::string>& settings, const std::vector<Metric>& metrics,
                        const std::map<std::string, std::uint64_t>& failures);

}  // namespace bench
