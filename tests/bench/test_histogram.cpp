#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "bench/histogram.hpp"

using bench::Histogram;

TEST_CASE("small values get a bucket each, so they come back exactly") {
  for (std::uint64_t v = 0; v < 256; ++v) {
    CHECK(Histogram::bucket_of(v) == v);
    CHECK(Histogram::bucket_low(v) == v);
    CHECK(Histogram::bucket_high(v) == v);
  }
}

TEST_CASE("every value lies inside its bucket and the bucket is within 1/128 of it") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    // Spread over every magnitude, not just the top ones a uniform draw would give.
    std::uint64_t v = rng() >> (rng() % 64);
    auto b = Histogram::bucket_of(v);
    REQUIRE(b < Histogram::bucket_count());
    CHECK(Histogram::bucket_low(b) <= v);
    CHECK(v <= Histogram::bucket_high(b));
    double width = static_cast<double>(Histogram::bucket_high(b) - Histogram::bucket_low(b));
    CHECK(width <= static_cast<double>(v) / 128.0);
  }
}

TEST_CASE("buckets tile the number line with no gap or overlap") {
  for (std::size_t b = 1; b < Histogram::bucket_count(); ++b)
    REQUIRE(Histogram::bucket_low(b) == Histogram::bucket_high(b - 1) + 1);
  CHECK(Histogram::bucket_high(Histogram::bucket_count() - 1) == UINT64_MAX);
}

TEST_CASE("quantiles of a known distribution") {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1000; ++v) h.record(v * 1000);  // 1 us .. 1 ms in ns
  CHECK(h.count() == 1000);
  CHECK(h.min() == 1000);
  CHECK(h.max() == 1'000'000);
  CHECK(h.mean() == doctest::Approx(500'500.0));
  auto near = [](std::uint64_t got, double want) { return std::abs(static_cast<double>(got) - want) <= want / 128; };
  CHECK(near(h.quantile(0.5), 500'000));
  CHECK(near(h.quantile(0.99), 990'000));
  CHECK(near(h.quantile(0.999), 999'000));
  CHECK(h.quantile(1.0) == 1'000'000);
  CHECK(h.quantile(0.0) == 1000);
}

TEST_CASE("a single outlier shows at p99.9 of 1000 values but not at p99") {
  Histogram h;
  h.record(100, 999);
  h.record(5'000'000);
  CHECK(h.quantile(0.99) == 100);
  CHECK(h.quantile(0.999) == 100);  // the 999th value of 1000
  CHECK(h.quantile(0.9999) >= 5'000'000 - 5'000'000 / 128);
  CHECK(h.max() == 5'000'000);
}

TEST_CASE("quantiles never exceed the largest value recorded") {
  Histogram h;
  h.record(1'000'001);  // inside a wide bucket whose top is higher
  CHECK(h.quantile(0.5) == 1'000'001);
}

TEST_CASE("an empty histogram reports zeros") {
  Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.quantile(0.99) == 0);
  CHECK(h.min() == 0);
  CHECK(h.mean() == 0.0);
}

TEST_CASE("merging equals recording everything in one") {
  Histogram a, b, all;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    std::uint64_t v = rng() % 10'000'000;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  for (double q : {0.1, 0.5, 0.9, 0.99, 0.999}) CHECK(a.quantile(q) == all.quantile(q));
}

TEST_CASE("serialize and parse round trip; malformed text is refused") {
  Histogram h;
  h.record(5, 3);
  h.record(123456789);
  Histogram back;
  REQUIRE(back.parse(h.serialize()));
  CHECK(back.count() == 4);
  CHECK(back.min() == 5);
  CHECK(back.max() == 123456789);
  CHECK(back.quantile(0.5) == 5);
  CHECK(back.quantile(1.0) == h.quantile(1.0));

  Histogram untouched;
  untouched.record(9);
  CHECK_FALSE(untouched.parse("4:5:9:10|5:3"));          // bucket counts do not add up to 4
  CHECK_FALSE(untouched.parse("1:5:9:10"));              // no bucket part
  CHECK_FALSE(untouched.parse("1:5:9:10|999999999:1"));  // bucket out of range
  CHECK_FALSE(untouched.parse("x|"));
  CHECK(untouched.count() == 1);
  Histogram empty;
  REQUIRE(empty.parse(Histogram().serialize()));
  CHECK(empty.count() == 0);
}
