#include <doctest/doctest.h>

#include <string>

#include "firmware/http_range.hpp"
#include "firmware/json_fields.hpp"

using namespace firmware;

TEST_CASE("JSON fields are read from a flat object, skipping members of any shape") {
  std::string json = R"( { "n":[1,{"x":"}"}], "version" : "1.2.3", "url":"http:\/\/h\/f.bin",
                          "size": 4096, "ok": true, "z": null } )";
  char buf[64];
  REQUIRE(json_string_field(json, "version", buf, sizeof buf));
  CHECK(std::string(buf) == "1.2.3");
  REQUIRE(json_string_field(json, "url", buf, sizeof buf));
  CHECK(std::string(buf) == "http://h/f.bin");
  std::uint64_t n = 0;
  REQUIRE(json_uint_field(json, "size", n));
  CHECK(n == 4096);

  CHECK_FALSE(json_string_field(json, "size", buf, sizeof buf));  // not a string
  CHECK_FALSE(json_uint_field(json, "version", n));               // not a number
  CHECK_FALSE(json_string_field(json, "missing", buf, sizeof buf));
  CHECK_FALSE(json_string_field(json, "version", buf, 5));  // "1.2.3" needs 6 with the NUL
  CHECK_FALSE(json_uint_field(R"({"size": -1})", "size", n));
  CHECK_FALSE(json_uint_field(R"({"size": 4096.5})", "size", n));
  CHECK_FALSE(json_uint_field(R"({"size": 4e3})", "size", n));
  CHECK_FALSE(json_uint_field(R"({"size": 99999999999999999999})", "size", n));
  CHECK_FALSE(json_string_field(R"({"v":"\u0041"})", "v", buf, sizeof buf));
}

TEST_CASE("JSON that is not a well-formed object yields nothing") {
  char buf[32];
  for (const char* bad :
       {"", "[]", "{", "{\"version\"", "{\"version\":", "{\"version\":\"1.0", "{\"a\":tru, \"version\":\"1\"}",
        "{\"a\":[1,2, \"version\":\"1\"}", "\"version\":\"1\"", "{\"a\" \"version\":\"1\"}"}) {
    CHECK_MESSAGE(!json_string_field(bad, "version", buf, sizeof buf), bad);
  }
  // Deep nesting is refused rather than recursed into.
  std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + ",\"version\":\"1\"}";
  CHECK_FALSE(json_string_field(deep, "version", buf, sizeof buf));
}

TEST_CASE("URLs split into host, port, path and scheme") {
  Url u;
  REQUIRE(parse_url("http://127.0.0.1:8080/fw/1.1.0.bin?t=abc", u));
  CHECK(std::string(u.host) == "127.0.0.1");
  CHECK(u.port == 8080);
  CHECK(std::string(u.path) == "/fw/1.1.0.bin?t=abc");
  CHECK_FALSE(u.tls);
  REQUIRE(parse_url("HTTPS://fw.example.com", u));
  CHECK(u.tls);
  CHECK(u.port == 443);
  CHECK(std::string(u.path) == "/");
  for (const char* bad : {"ftp://h/x", "http://", "http://:80/x", "http://h:0/", "http://h:70000/", "http://user@h/",
                          "http://h/a b", "http://h:x/"}) {
    Url v;
    CHECK_MESSAGE(!parse_url(bad, v), bad);
  }
}

TEST_CASE("a range request names host, non-default port and the inclusive byte range") {
  Url u;
  REQUIRE(parse_url("http://h:8080/f.bin", u));
  char buf[256];
  auto n = build_range_request(buf, sizeof buf, u, 1000, 1999);
  REQUIRE(n > 0);
  CHECK(std::string(buf, n) ==
        "GET /f.bin HTTP/1.1\r\nHost: h:8080\r\nRange: bytes=1000-1999\r\n"
        "User-Agent: sakura-lock\r\nConnection: keep-alive\r\n\r\n");
  CHECK(build_range_request(buf, 40, u, 0, 1) == 0);
}

TEST_CASE("HTTP response heads give status, length, range and connection") {
  std::string head =
      "HTTP/1.1 206 Partial Content\r\ncontent-length: 100\r\nContent-Range: bytes 100-199/1000\r\n"
      "Connection: close\r\n\r\nBODY";
  REQUIRE(http_head_length(head) == head.size() - 4);
  HttpHead h;
  REQUIRE(parse_http_head(head.substr(0, http_head_length(head)), h));
  CHECK(h.status == 206);
  CHECK(h.content_length == 100);
  CHECK(h.has_range);
  CHECK(h.range_first == 100);
  CHECK(h.range_last == 199);
  CHECK(h.range_total == 1000);
  CHECK(h.closes);

  REQUIRE(parse_http_head("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", h));
  CHECK(h.status == 200);
  CHECK(h.closes);  // HTTP/1.0 closes unless told otherwise
  REQUIRE(parse_http_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", h));
  CHECK(h.chunked);
  CHECK(http_head_length("HTTP/1.1 200 OK\r\n") == 0);
  CHECK_FALSE(parse_http_head("HTTP/1.1 206 X\r\nContent-Range: bytes 5-1/10\r\n\r\n", h));
  CHECK_FALSE(parse_http_head("HTTP/1.1 206 X\r\nContent-Range: bytes 0-9/5\r\n\r\n", h));
  CHECK_FALSE(parse_http_head("HTTP/1.1 200 X\r\nContent-Length: 1x\r\n\r\n", h));
  CHECK_FALSE(parse_http_head("SMTP 220\r\n\r\n", h));
  CHECK_FALSE(parse_http_head("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", h));
}
