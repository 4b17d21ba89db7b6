#include <doctest/doctest.h>

#include <string>

#include "broker/log_text.hpp"

using broker::log_text;

TEST_CASE("client text in logs cannot forge lines") {
  CHECK(log_text("alice") == "alice");
  CHECK(log_text("a\r\nINFO fake") == "a\\x0d\\x0aINFO fake");
  CHECK(log_text("back\\slash") == "back\\x5cslash");
  CHECK(log_text("\x1b[31mred") == "\\x1b[31mred");
  CHECK(log_text(std::string(1000, 'x')) == std::string(128, 'x') + "...(1000 bytes)");
}
