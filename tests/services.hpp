// Unit tests that need a server the environment may not provide: Redis and MariaDB from
// scripts/services.sh (SAKURA_TEST_REDIS, SAKURA_TEST_MARIADB_*), or the redis-server / mariadbd
// binaries for private instances. On a developer's machine without them such a test is skipped
// with a message; where SAKURA_REQUIRE_SERVICES=1 (CI and scripts/test, which start the services)
// it fails instead, so that no test passes there by not running.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>

namespace sakura_test {

inline bool services_required() {
  const char* v = std::getenv("SAKURA_REQUIRE_SERVICES");
  return v && std::strcmp(v, "1") == 0;
}

}  // namespace sakura_test

// `if (!server) { SAKURA_SERVICE_MISSING("SAKURA_TEST_REDIS not set"); return; }`: a macro so that
// the failure or the message names the test's own file and line.
#define SAKURA_SERVICE_MISSING(why)                                                    \
  do {                                                                                 \
    if (sakura_test::services_required()) FAIL(why << " (SAKURA_REQUIRE_SERVICES=1)"); \
    MESSAGE(why << ": skipping");                                                      \
  } while (0)
