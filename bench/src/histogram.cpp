#include "bench/histogram.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace bench {
namespace {

constexpr std::uint64_t kSub = std::uint64_t{1} << Histogram::kSubBits;

unsigned msb(std::uint64_t v) { return 63u - static_cast<unsigned>(__builtin_clzll(v | 1)); }

bool parse_u64(std::string_view& s, std::uint64_t& out, char stop) {
  auto end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  if (ec != std::errc{}) return false;
  if (p != end) {
    if (*p != stop) return false;
    ++p;
  }
  s.remove_prefix(static_cast<std::size_t>(p - s.data()));
  return true;
}

}  // namespace

Histogram::Histogram() : buckets_(bucket_count(), 0) {}

std::size_t Histogram::bucket_count() { return bucket_of(UINT64_MAX) + 1; }

// With e = max(0, msb(v) - kSubBits) the top kSubBits+1 bits of v are v >> e, which lies in
// [kSub, 2*kSub) once e > 0; index e*kSub + (v >> e) is then continuous with the exact region.
std::size_t Histogram::bucket_of(std::uint64_t value) {
  unsigned m = msb(value);
  unsigned e = m > kSubBits ? m - kSubBits : 0;
  return static_cast<std::size_t>(e * kSub + (value >> e));
}

std::uint64_t Histogram::bucket_low(std::size_t index) {
  if (index < 2 * kSub) return index;
  std::uint64_t e = index / kSub - 1;
  std::uint64_t top = index - e * kSub;
  return top << e;
}

std::uint64_t Histogram::bucket_high(std::size_t index) {
  if (index < 2 * kSub) return index;
  std::uint64_t e = index / kSub - 1;
  return bucket_low(index) + ((std::uint64_t{1} << e) - 1);
}

void Histogram::record(std::uint64_t value, std::uint64_t count) {
  if (count == 0) return;
  buckets_[bucket_of(value)] += count;
  count_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value) * count;
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double Histogram::mean() const { return count_ ? static_cast<double>(sum_ / count_) : 0.0; }

std::uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (q <= 0) return min_;
  q = std::min(q, 1.0);
  // Rank of the wanted value, 1-based: the q-quantile of 1000 values is the ceil(1000 q)-th.
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(bucket_high(i), min_, max_);
  }
  return max_;
}

std::string Histogram::serialize() const {
  std::string out = fmt::format("{}:{}:{}:{:.0f}|", count_, min(), max_, static_cast<double>(sum_));
  bool first = true;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    if (!buckets_[i]) continue;
    if (!first) out += ',';
    first = false;
    fmt::format_to(std::back_inserter(out), "{}:{}", i, buckets_[i]);
  }
  return out;
}

bool Histogram::parse(std::string_view text) {
  Histogram h;
  std::uint64_t count = 0, mn = 0, mx = 0, sum = 0;
  auto bar = text.find('|');
  if (bar == std::string_view::npos) return false;
  std::string_view head = text.substr(0, bar), body = text.substr(bar + 1);
  if (!parse_u64(head, count, ':') || !parse_u64(head, mn, ':') || !parse_u64(head, mx, ':') ||
      !parse_u64(head, sum, ':') || !head.empty())
    return false;
  std::uint64_t total = 0;
  while (!body.empty()) {
    std::uint64_t index = 0, n = 0;
    if (!parse_u64(body, index, ':') || !parse_u64(body, n, ',')) return false;
    if (index >= h.buckets_.size()) return false;
    h.buckets_[index] += n;
    total += n;
  }
  if (total != count) return false;
  h.count_ = count;
  h.min_ = count ? mn : UINT64_MAX;
  h.max_ = mx;
  h.sum_ = static_cast<long double>(sum);
  *this = std::move(h);
  return true;
}

}  // namespace bench
