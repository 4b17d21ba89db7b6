#pragma once
// A log-bucketed latency histogram in the manner of HdrHistogram: values below 2^(kSubBits+1) get
// one bucket each, above that every power of two is split into 2^kSubBits equal buckets, so any
// recorded value is reported within 1/2^kSubBits (< 0.8 %) of its true value at a fixed 60 KB,
// whatever the range. Workers serialise it to the parent, which merges them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

class Histogram {
 public:
  static constexpr unsigned kSubBits = 7;

  Histogram();

  void record(std::uint64_t value, std::uint64_t count = 1);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const;
  // The smallest recorded value v such that at least q (0..1) of the values are <= v, reported as
  // the top of its bucket and never above the largest value recorded; q = 0 gives the smallest. 0 when empty.
  std::uint64_t quantile(double q) const;

  // "count:min:max:sum|index:count,index:count,...": only the buckets in use.
  std::string serialize() const;
  // Returns false (and leaves *this unchanged) when `text` is not what serialize() wrote.
  bool parse(std::string_view text);

  // Bucket arithmetic, public so tests can check the precision promise directly.
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_low(std::size_t index);
  static std::uint64_t bucket_high(std::size_t index);
  static std::size_t bucket_count();

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  // Sum in long double: 2^64 ns samples would overflow an integer sum in a long run.
  long double sum_ = 0;
};

}  // namespace bench
