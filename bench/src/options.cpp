#include "bench/options.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "common/keep_last.hpp"

namespace bench {
namespace {

namespace po = boost::program_options;

// Adds options bound to the fields of one Options, whose current values are the defaults --help
// prints. Integers are read as long long so "-1" is refused rather than wrapped into an unsigned
// field; every value out of its range or set is "bad value 'V' for --NAME".
class Fields {
 public:
  explicit Fields(po::options_description& d) : d_(d) {}

  template <class T>
  Fields& integer(const char* name, T& field, long long lo, long long hi, const char* help) {
    d_.add_options()(name,
                     po::value<long long>()
                         ->value_name("N")
                         ->default_value(static_cast<long long>(field))
                         ->notifier([&field, name, lo, hi](long long v) {
                           if (v < lo || v > hi) throw bad(name, std::to_string(v));
                           field = static_cast<T>(v);
                         }),
                     help);
    return *this;
  }

  Fields& real(const char* name, double& field, double lo, double hi, const char* help) {
    d_.add_options()(name,
                     po::value<double>()
                         ->value_name("X")
                         ->default_value(field, fmt::format("{}", field))
                         ->notifier([&field, name, lo, hi](double v) {
                           if (!(std::isfinite(v) && v >= lo && v <= hi)) throw bad(name, fmt::format("{}", v));
                           field = v;
                         }),
                     help);
    return *this;
  }

  Fields& text(const char* name, std::string& field, const char* help) {
    d_.add_options()(name, po::value(&field)->value_name("S")->default_value(field), help);
    return *this;
  }

  template <class E>
  Fields& choice(const char* name, E& field, std::vector<std::pair<std::string, E>> names, const char* help) {
    std::string now, all;
    for (auto& [n, e] : names) {
      if (e == field) now = n;
      all += (all.empty() ? "" : "|") + n;
    }
    d_.add_options()(name,
                     po::value<std::string>()->value_name(all)->default_value(now)->notifier(
                         [&field, name, names](const std::string& v) {
                           for (auto& [n, e] : names)
                             if (n == v) return void(field = e);
                           throw bad(name, v);
                         }),
                     help);
    return *this;
  }

 private:
  static po::error bad(const char* name, const std::string& value) {
    return po::error(fmt::format("bad value '{}' for --{}", value, name));
  }
  po::options_description& d_;
};

// Every option, bound to `o`, whose values are the defaults --help prints.
po::options_description describe(Options& o) {
  constexpr double day = 86400;
  po::options_description all;
  po::options_description common("common");
  common.add_options()("help,h", "print this help and exit")("json-only", po::bool_switch(&o.json_only),
                                                             "print only the JSON line");
  Fields(common)
      .text("host", o.host, "broker host")
      .integer("port", o.port, 1, 65535, "broker port")
      .choice("transport", o.transport,
              {{"tcp", Transport::tcp}, {"ws", Transport::ws}, {"tls", Transport::tls}, {"wss", Transport::wss}},
              "MQTT over TCP, WebSocket, TLS or WebSocket over TLS")
      .text("ws-path", o.ws_path, "WebSocket path")
      .text("username", o.username, "username of every connection (not the lock scenario's owners)")
      .text("password", o.password, "password of every connection")
      .integer("workers", o.workers, 1, 512, "forked worker processes")
      .integer("source-addrs", o.source_addrs, 0, 65000,
               "loopback source addresses from 127.0.0.2 (0: enough for the count)")
      .integer("connect-concurrency", o.connect_concurrency, 1, 100'000,
               "per worker, connections in the middle of connecting")
      .real("connect-timeout", o.connect_timeout, 0.01, 3600, "seconds for every connection to be up")
      .integer("broker-pid", o.broker_pid, 0, std::numeric_limits<int>::max(),
               "read the broker's memory and CPU from /proc (0: don't)")
      .text("label", o.label, "copied into the JSON line (e.g. mosquitto, sakura)");
  po::options_description conn("conn");
  Fields(conn)
      .integer("connections", o.connections, 1, 10'000'000, "connections to open over all workers")
      .real("connect-rate", o.connect_rate, 0, 1e7, "new connections per second (0: as fast as possible)")
      .real("hold", o.hold, 0, day, "seconds every connection stays idle once all are up")
      .integer("keepalive", o.keepalive, 0, 65535, "MQTT keepalive seconds");
  po::options_description messages("fanin, fanout, p2p");
  Fields(messages)
      .integer("publishers", o.publishers, 1, 1'000'000, "publishing connections")
      .integer("subscribers", o.subscribers, 1, 1'000'000, "subscribing connections")
      .integer("qos", o.qos, 0, 2, "QoS of every publish and subscription (also the lock scenario's)")
      .integer("payload", o.payload, 16, 64 * 1024 * 1024, "bytes a message, at least the 16-byte stamp")
      .real("rate", o.rate, 0, 1e9, "messages per second over all publishers (0: flat out)")
      .real("duration", o.duration, 0.001, day, "seconds of publishing (or pairing)")
      .integer("inflight", o.inflight, 1, 60'000, "per publisher: messages sent and not yet delivered")
      .real("drain", o.drain, 0, 3600, "seconds to wait for stragglers after publishing stops")
      .integer("clean-session", o.clean_session, 0, 1,
               "0: persistent subscribers with fixed client ids (sbs-persistent-<n>)");
  po::options_description lock("lock");
  Fields(lock)
      .integer("locks", o.locks, 1, 10'000'000, "locks, two owners each")
      .real("pair-rate", o.pair_rate, 0.001, 1e7, "m/f pairs per second over all locks")
      .real("pair-gap-ms", o.pair_gap_ms, 0, 30'000, "m is published this long before f")
      .choice("lock-mode", o.lock_mode, {{"rule", LockMode::rule}, {"responder", LockMode::responder}},
              "rule: the broker unlocks; responder: a bench client plays the rule (for brokers without it)")
      .text("auth-redis", o.auth_redis, "HOST:PORT: write the locks' and owners' credentials there as the login does");
  all.add(common).add(conn).add(messages).add(lock);
  return all;
}

const std::map<std::string, Scenario>& scenarios() {
  static const std::map<std::string, Scenario> table = {{"conn", Scenario::conn},
                                                        {"fanin", Scenario::fanin},
                                                        {"fanout", Scenario::fanout},
                                                        {"p2p", Scenario::p2p},
                                                        {"lock", Scenario::lock}};
  return table;
}

}  // namespace

const char* to_string(Scenario s) {
  switch (s) {
    case Scenario::conn: return "conn";
    case Scenario::fanin: return "fanin";
    case Scenario::fanout: return "fanout";
    case Scenario::p2p: return "p2p";
    case Scenario::lock: return "lock";
  }
  return "?";
}

const char* to_string(Transport t) {
  switch (t) {
    case Transport::tcp: return "tcp";
    case Transport::ws: return "ws";
    case Transport::tls: return "tls";
    case Transport::wss: return "wss";
  }
  return "?";
}

const char* to_string(LockMode m) { return m == LockMode::rule ? "rule" : "responder"; }

ParseResult parse_options(const std::vector<std::string>& args) {
  ParseResult r;
  auto desc = describe(r.options);
  std::string scenario;
  po::options_description positional;
  positional.add_options()("scenario", po::value(&scenario));
  desc.add(positional);
  po::positional_options_description pos;
  pos.add("scenario", 1);
  try {
    auto parsed = po::command_line_parser(args).options(desc).positional(pos).run();
    // A later occurrence of an option replaces an earlier one (bench/compare and the smoke test
    // put the caller's options after their own), where Program_options would refuse the repeat.
    common::keep_last_of_each(
        parsed.options, [](const po::option& o) { return o.string_key == "scenario" ? std::string() : o.string_key; });
    po::variables_map vm;
    po::store(parsed, vm);
    if (vm.count("help")) {
      r.help = true;
      return r;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    r.error = e.what();
    return r;
  }
  if (scenario.empty()) {
    r.error = "no scenario given";
    return r;
  }
  auto sc = scenarios().find(scenario);
  if (sc == scenarios().end()) {
    r.error = fmt::format("unknown scenario '{}'", scenario);
    return r;
  }
  r.options.scenario = sc->second;
  const Options& o = r.options;
  // Fan-in and fan-out keep every publisher's window against subscribers in the same process, so
  // they cannot be split across workers; conn, p2p and lock split into independent slices.
  if ((o.scenario == Scenario::fanin || o.scenario == Scenario::fanout) && o.workers != 1)
    r.error = fmt::format("{} runs in one worker (it has few connections); drop --workers", to_string(o.scenario));
  else if (o.scenario == Scenario::p2p && o.publishers != o.subscribers)
    r.error = "p2p pairs publisher i with subscriber i: --publishers and --subscribers must be equal";
  else if (o.payload < 16) r.error = "--payload must hold the 16-byte stamp";
  return r;
}

std::string usage() {
  Options defaults;
  std::ostringstream options;
  options << describe(defaults);
  return R"(usage: sakura-bench SCENARIO [options]
scenarios:
  conn     open --connections at --connect-rate, hold them --hold seconds with --keepalive
  fanin    --publishers to --subscribers (each subscriber gets every message)
  fanout   the same topology, named for one publisher to many subscribers
  p2p      publisher i to subscriber i (--publishers = --subscribers pairs)
  lock     --locks locks and two owners each; --pair-rate m/f pairs per second;
           unlock latency from f's publish to the lock receiving `unlock`
)" + options.str();
}

}  // namespace bench
