# Every dependency comes from Debian 12; a missing one stops configuration naming its apt package.
include(FindPkgConfig)

macro(sakura_require found apt_package what)
  if(NOT ${found})
    message(FATAL_ERROR "${what} not found: install it with `apt-get install ${apt_package}`")
  endif()
endmacro()

find_package(Threads REQUIRED)

find_package(Boost 1.74 QUIET COMPONENTS system)
sakura_require(Boost_FOUND "libboost-dev libboost-system-dev" "Boost (Asio)")
# Every command-line tool (sakura-broker, sakura-ctl, sakura-bench, sakura-lock, the storage
# benchmarks) parses its options with Boost.Program_options.
find_package(Boost 1.74 QUIET COMPONENTS program_options)
sakura_require(Boost_PROGRAM_OPTIONS_FOUND libboost-program-options-dev "Boost.Program_options")

find_package(OpenSSL QUIET)
sakura_require(OPENSSL_FOUND libssl-dev "OpenSSL")

find_package(fmt QUIET)
sakura_require(fmt_FOUND libfmt-dev "fmt")

find_package(spdlog QUIET)
sakura_require(spdlog_FOUND libspdlog-dev "spdlog")

find_package(doctest QUIET)
sakura_require(doctest_FOUND doctest-dev "doctest")

find_package(RapidJSON QUIET)
sakura_require(RapidJSON_FOUND rapidjson-dev "RapidJSON")

pkg_check_modules(HIREDIS QUIET IMPORTED_TARGET hiredis)
sakura_require(HIREDIS_FOUND libhiredis-dev "hiredis")

pkg_check_modules(MARIADB QUIET IMPORTED_TARGET libmariadb)
sakura_require(MARIADB_FOUND libmariadb-dev "libmariadb")

pkg_check_modules(SQLITE3 QUIET IMPORTED_TARGET sqlite3)
sakura_require(SQLITE3_FOUND libsqlite3-dev "SQLite")

# Asio header-only, with the same configuration in every translation unit. (websocketpp, once
# required here, is gone: the WebSocket transport is Beast's, docs/architecture.md.)
add_library(sakura_asio INTERFACE)
target_link_libraries(sakura_asio INTERFACE Boost::boost Boost::system Threads::Threads)
