#include <doctest/doctest.h>

#include "bench/options.hpp"
#include "bench/report.hpp"

using namespace bench;

TEST_CASE("reports merge: counters add, first_ keeps the earliest, last_ the latest") {
  Report a, b;
  a.add("sent", 10);
  b.add("sent", 5);
  b.add("lost", 1);
  a.time("first_publish", 100);
  b.time("first_publish", 50);
  a.time("last_delivery", 900);
  b.time("last_delivery", 700);
  a.fail("Connection refused");
  b.fail("Connection refused");
  b.fail("timeout");
  a.histograms["latency_ns"].record(10);
  b.histograms["latency_ns"].record(20);
  a.merge(b);
  CHECK(a.get("sent") == 15);
  CHECK(a.get("lost") == 1);
  CHECK(a.get("absent") == 0);
  CHECK(a.time_of("first_publish") == 50);
  CHECK(a.time_of("last_delivery") == 900);
  CHECK(a.seconds("first_publish", "last_delivery") == doctest::Approx(850e-9));
  CHECK(a.failures["Connection refused"] == 2);
  CHECK(a.failures["timeout"] == 1);
  CHECK(a.histograms["latency_ns"].count() == 2);
}

TEST_CASE("a report crosses the pipe intact; anything else is refused") {
  Report r;
  r.add("connected", 19900);
  r.time("first_connect", 123);
  r.fail("while held: closed\tby\nbroker");  // separators inside a reason are flattened
  r.histograms["connect_ns"].record(5'000'000, 7);
  Report back;
  REQUIRE(back.parse(r.serialize()));
  CHECK(back.get("connected") == 19900);
  CHECK(back.time_of("first_connect") == 123);
  CHECK(back.failures.count("while held: closed by broker") == 1);
  CHECK(back.histograms["connect_ns"].count() == 7);

  Report untouched;
  untouched.add("x");
  CHECK_FALSE(untouched.parse("c\tsent\t5\n"));       // cut before "end"
  CHECK_FALSE(untouched.parse("z\tsent\t5\nend\n"));  // unknown line kind
  CHECK_FALSE(untouched.parse("c\tsent\tfive\nend\n"));
  CHECK(untouched.get("x") == 1);
}

TEST_CASE("the JSON line escapes and types its fields") {
  std::string json = render_json({{"label", "mosq\"uitto"}}, {{"sent", 5, ""}, {"rate", 1.5, ""}}, {{"a\nb", 2}});
  CHECK(json == R"({"label":"mosq\"uitto","sent":5,"rate":1.5,"failures":{"a\nb":2}})");
}

TEST_CASE("options: defaults, values and refusals") {
  auto r = parse_options({"fanin", "--publishers", "8", "--qos", "1", "--rate", "20000", "--json-only"});
  REQUIRE(r.error.empty());
  CHECK(r.options.scenario == Scenario::fanin);
  CHECK(r.options.publishers == 8);
  CHECK(r.options.qos == 1);
  CHECK(r.options.rate == 20000);
  CHECK(r.options.json_only);
  CHECK(r.options.duration == 10);
  CHECK(r.options.clean_session);
  CHECK_FALSE(parse_options({"fanin", "--clean-session", "0"}).options.clean_session);
  CHECK(parse_options({"fanin", "--clean-session", "yes"}).error ==
        "the argument ('yes') for option '--clean-session' is invalid");

  CHECK(parse_options({}).error == "no scenario given");
  CHECK(parse_options({"nope"}).error == "unknown scenario 'nope'");
  CHECK(parse_options({"conn", "--bogus", "1"}).error == "unrecognised option '--bogus'");
  CHECK(parse_options({"conn", "--connections"}).error ==
        "the required argument for option '--connections' is missing");
  CHECK(parse_options({"conn", "--connections", "-1"}).error == "bad value '-1' for --connections");
  CHECK(parse_options({"conn", "--port", "x"}).error == "the argument ('x') for option '--port' is invalid");
  CHECK(parse_options({"conn", "--transport", "udp"}).error == "bad value 'udp' for --transport");
  CHECK(parse_options({"conn", "--hold", "nan"}).error == "bad value 'nan' for --hold");
  CHECK_FALSE(parse_options({"conn", "lock"}).error.empty());
  // The last occurrence wins, as bench/compare relies on (its options, then the caller's).
  CHECK(parse_options({"conn", "--hold", "1", "--hold", "2"}).options.hold == 2);
  CHECK(parse_options({"fanin", "--qos", "3"}).error == "bad value '3' for --qos");
  CHECK(parse_options({"fanin", "--payload", "8"}).error == "bad value '8' for --payload");
  CHECK(parse_options({"fanin", "--duration", "0"}).error == "bad value '0' for --duration");
  CHECK_FALSE(parse_options({"fanin", "--workers", "2"}).error.empty());
  CHECK_FALSE(parse_options({"p2p", "--publishers", "3", "--subscribers", "2"}).error.empty());
  CHECK(parse_options({"p2p", "--publishers", "3", "--subscribers", "3", "--workers", "2"}).error.empty());
  CHECK(parse_options({"lock", "--lock-mode", "responder"}).options.lock_mode == LockMode::responder);
  CHECK(parse_options({"conn", "--help"}).help);
  CHECK(parse_options({"--help"}).help);
  // --help lists every option with its default.
  for (auto* shown :
       {"--port N (=1883)", "--transport tcp|ws|tls|wss (=tcp)", "--hold X (=5)", "--clean-session N (=1)",
        "--lock-mode rule|responder (=rule)", "--json-only", "--connect-timeout X (=10)"})
    CHECK_MESSAGE(usage().find(shown) != std::string::npos, shown);
}
