#include <doctest/doctest.h>

#include "exchange.hpp"
#include "wechat_client.hpp"

using namespace http::detail;
using O = SessionResult::Outcome;

TEST_CASE("code2Session answers map to outcomes") {
  auto ok = classify_session_answer(R"({"openid":"oAbc","session_key":"k"})");
  CHECK(ok.outcome == O::ok);
  CHECK(ok.openid == "oAbc");
  CHECK(classify_session_answer(R"({"errcode":0,"openid":"o1"})").outcome == O::ok);
  CHECK(classify_session_answer(R"({"errcode":-1,"errmsg":"system error"})").outcome == O::busy);
  CHECK(classify_session_answer(R"({"errcode":40029})").outcome == O::invalid_code);
  CHECK(classify_session_answer(R"({"errcode":40163})").outcome == O::code_used);
  CHECK(classify_session_answer(R"({"errcode":45011})").outcome == O::rate_limited);
  CHECK(classify_session_answer(R"({"errcode":40226})").outcome == O::blocked);
  CHECK(classify_session_answer(R"({"errcode":40013})").outcome == O::failed);
  CHECK(classify_session_answer(R"({"session_key":"k"})").outcome == O::failed);
  CHECK(classify_session_answer(R"({"openid":""})").outcome == O::failed);
  CHECK(classify_session_answer(R"({"openid":42})").outcome == O::failed);
  CHECK(classify_session_answer("<html>busy</html>").outcome == O::failed);
  CHECK(classify_session_answer("[]").outcome == O::failed);
}

TEST_CASE("code2session URLs") {
  Url u;
  REQUIRE(Url::parse("https://api.weixin.qq.com/sns/jscode2session", u));
  CHECK((u.tls && u.host == "api.weixin.qq.com" && u.port == "443" && u.target == "/sns/jscode2session"));
  REQUIRE(Url::parse("http://127.0.0.1:8099/sns/jscode2session", u));
  CHECK((!u.tls && u.host == "127.0.0.1" && u.port == "8099"));
  REQUIRE(Url::parse("http://stub", u));
  CHECK((u.port == "80" && u.target == "/"));
  CHECK_FALSE(Url::parse("ftp://x/y", u));
  CHECK_FALSE(Url::parse("https://", u));
}

TEST_CASE("query parameters are decoded, codes are encoded") {
  CHECK(query_param("lockno=123&limit=5", "limit") == std::optional<std::string>("5"));
  CHECK(query_param("a=%41%2b+b&b", "a") == std::optional<std::string>("A+ b"));
  CHECK(query_param("a=1&b", "b") == std::optional<std::string>(""));
  CHECK_FALSE(query_param("a=1", "c"));
  CHECK(query_param("a=%4", "a") == std::optional<std::string>("%4"));
  CHECK(url_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
}
