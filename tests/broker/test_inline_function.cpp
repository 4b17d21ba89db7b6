// InlineFunction: what it holds is copied, moved and destroyed exactly like std::function's.
#include <doctest/doctest.h>

#include <memory>

#include "broker/inline_function.hpp"

using broker::InlineFunction;

TEST_CASE("InlineFunction keeps its capture alive, shares it on copy, hands it over on move") {
  auto owned = std::make_shared<int>(41);
  InlineFunction<int(int)> f = [owned](int add) { return *owned + add; };
  CHECK(owned.use_count() == 2);
  CHECK(f(1) == 42);

  auto copy = f;
  CHECK(owned.use_count() == 3);
  auto moved = std::move(f);
  CHECK_FALSE(f);
  CHECK(owned.use_count() == 3);
  CHECK(moved(2) == 43);

  copy = nullptr;
  CHECK_FALSE(copy);
  CHECK(owned.use_count() == 2);
  moved = [](int add) { return add; };
  CHECK(owned.use_count() == 1);
  CHECK(moved(7) == 7);
}
