#include <doctest/doctest.h>

#include "byte_range.hpp"

using http::detail::ByteRange;
using http::detail::parse_range;
using http::detail::RangeResult;

TEST_CASE("single byte ranges as locks send them") {
  ByteRange r;
  CHECK(parse_range("bytes=0-16383", 70000, r) == RangeResult::partial);
  CHECK((r.first == 0 && r.last == 16383));
  CHECK(parse_range("bytes=65536-", 70000, r) == RangeResult::partial);
  CHECK((r.first == 65536 && r.last == 69999));
  CHECK(parse_range("bytes=69000-80000", 70000, r) == RangeResult::partial);
  CHECK(r.last == 69999);  // clipped to the image
  CHECK(parse_range("bytes=-100", 70000, r) == RangeResult::partial);
  CHECK((r.first == 69900 && r.last == 69999));
  CHECK(parse_range("bytes=-100000", 70000, r) == RangeResult::partial);
  CHECK(r.first == 0);
}

TEST_CASE("ranges past the end are unsatisfiable") {
  ByteRange r;
  CHECK(parse_range("bytes=70000-", 70000, r) == RangeResult::unsatisfiable);
  CHECK(parse_range("bytes=-0", 70000, r) == RangeResult::unsatisfiable);
}

TEST_CASE("what is not one valid byte range is ignored: the whole image is sent") {
  ByteRange r;
  for (const char* h : {"items=0-1", "bytes=5-1", "bytes=a-b", "bytes=0-1,5-9", "bytes=", "bytes=-", "bytes=1-2-3",
                        "bytes=99999999999999999999-"})
    CHECK_MESSAGE(parse_range(h, 70000, r) == RangeResult::whole, h);
}
