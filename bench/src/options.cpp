#include "bench/options.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include <fmt/format.h>

namespace bench {
namespace {

template <class T>
bool to_number(const std::string& s, T& out) {
  auto end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc{} && p == end;
}

bool to_double(const std::string& s, double& out) {
  try {
    std::size_t used = 0;
    out = std::stod(s, &used);
    return used == s.size() && std::isfinite(out);
  } catch (...) {
    return false;
  }
}

using Setter = std::function<bool(Options&, const std::string&)>;

template <class T>
Setter number(T Options::*field, T lo, T hi) {
  return [=](Options& o, const std::string& v) {
    T n{};
    if (!to_number(v, n) || n < lo || n > hi) return false;
    o.*field = n;
    return true;
  };
}

Setter real(double Options::*field, double lo, double hi) {
  return [=](Options& o, const std::string& v) {
    double n = 0;
    if (!to_double(v, n) || n < lo || n > hi) return false;
    o.*field = n;
    return true;
  };
}

Setter text(std::string Options::*field) {
  return [=](Options& o, const std::string& v) {
    o.*field = v;
    return true;
  };
}

const std::map<std::string, Setter>& setters() {
  constexpr double day = 86400;
  static const std::map<std::string, Setter> table = {
      {"--host", text(&Options::host)},
      {"--port", number<std::uint16_t>(&Options::port, 1, 65535)},
      {"--transport",
       [](Options& o, const std::string& v) {
         static const std::map<std::string, Transport> names = {
             {"tcp", Transport::tcp}, {"ws", Transport::ws}, {"tls", Transport::tls}, {"wss", Transport::wss}};
         auto it = names.find(v);
         if (it == names.end()) return false;
         o.transport = it->second;
         return true;
       }},
      {"--ws-path", text(&Options::ws_path)},
      {"--username", text(&Options::username)},
      {"--password", text(&Options::password)},
      {"--connections", number<std::uint32_t>(&Options::connections, 1, 10'000'000)},
      {"--connect-rate", real(&Options::connect_rate, 0, 1e7)},
      {"--hold", real(&Options::hold, 0, day)},
      {"--keepalive", number<std::uint16_t>(&Options::keepalive, 0, 65535)},
      {"--publishers", number<std::uint32_t>(&Options::publishers, 1, 1'000'000)},
      {"--subscribers", number<std::uint32_t>(&Options::subscribers, 1, 1'000'000)},
      {"--qos", number<std::uint8_t>(&Options::qos, 0, 2)},
      {"--payload", number<std::uint32_t>(&Options::payload, 16, 64 * 1024 * 1024)},
      {"--rate", real(&Options::rate, 0, 1e9)},
      {"--duration", real(&Options::duration, 0.001, day)},
      {"--inflight", number<std::uint32_t>(&Options::inflight, 1, 60'000)},
      {"--drain", real(&Options::drain, 0, 3600)},
      {"--clean-session",
       [](Options& o, const std::string& v) {
         if (v != "0" && v != "1") return false;
         o.clean_session = v == "1";
         return true;
       }},
      {"--locks", number<std::uint32_t>(&Options::locks, 1, 10'000'000)},
      {"--pair-rate", real(&Options::pair_rate, 0.001, 1e7)},
      {"--pair-gap-ms", real(&Options::pair_gap_ms, 0, 30'000)},
      {"--lock-mode",
       [](Options& o, const std::string& v) {
         if (v == "rule") o.lock_mode = LockMode::rule;
         else if (v == "responder") o.lock_mode = LockMode::responder;
         else return false;
         return true;
       }},
      {"--auth-redis", text(&Options::auth_redis)},
      {"--workers", number<std::uint32_t>(&Options::workers, 1, 512)},
      {"--source-addrs", number<std::uint32_t>(&Options::source_addrs, 0, 65000)},
      {"--connect-concurrency", number<std::uint32_t>(&Options::connect_concurrency, 1, 100'000)},
      {"--connect-timeout", real(&Options::connect_timeout, 0.01, 3600)},
      {"--broker-pid", number<int>(&Options::broker_pid, 1, std::numeric_limits<int>::max())},
      {"--label", text(&Options::label)},
  };
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
  if (args.empty()) {
    r.error = "no scenario given";
    return r;
  }
  static const std::map<std::string, Scenario> scenarios = {{"conn", Scenario::conn},
                                                            {"fanin", Scenario::fanin},
                                                            {"fanout", Scenario::fanout},
                                                            {"p2p", Scenario::p2p},
                                                            {"lock", Scenario::lock}};
  if (args[0] == "-h" || args[0] == "--help") {
    r.help = true;
    return r;
  }
  auto sc = scenarios.find(args[0]);
  if (sc == scenarios.end()) {
    r.error = fmt::format("unknown scenario '{}'", args[0]);
    return r;
  }
  r.options.scenario = sc->second;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& key = args[i];
    if (key == "-h" || key == "--help") {
      r.help = true;
      return r;
    }
    if (key == "--json-only") {
      r.options.json_only = true;
      continue;
    }
    auto it = setters().find(key);
    if (it == setters().end()) {
      r.error = fmt::format("unknown option '{}'", key);
      return r;
    }
    if (i + 1 >= args.size()) {
      r.error = fmt::format("{} needs a value", key);
      return r;
    }
    if (!it->second(r.options, args[++i])) {
      r.error = fmt::format("bad value '{}' for {}", args[i], key);
      return r;
    }
  }
  const Options& o = r.options;
  // Fan-in and fan-out keep every publisher's window against subscribers in the same process, so
  // they cannot be split across workers; conn, p2p and lock split into independent slices.
  if ((o.scenario == Scenario::fanin || o.scenario == Scenario::fanout) && o.workers != 1)
    r.error = fmt::format("{} runs in one worker (it has few connections); drop --workers", to_string(o.scenario));
  else if (o.scenario == Scenario::p2p && o.publishers != o.subscribers)
    r.error = "p2p pairs publisher i with subscriber i: --publishers and --subscribers must be equal";
  else if (o.payload < 16)
    r.error = "--payload must hold the 16-byte stamp";
  return r;
}

std::string usage() {
  return R"(usage: sakura-bench SCENARIO [options]
scenarios:
  conn     open --connections at --connect-rate, hold them --hold seconds with --keepalive
  fanin    --publishers to --subscribers (each subscriber gets every message)
  fanout   the same topology, named for one publisher to many subscribers
  p2p      publisher i to subscriber i (--publishers = --subscribers pairs)
  lock     --locks locks and two owners each; --pair-rate m/f pairs per second;
           unlock latency from f's publish to the lock receiving `unlock`
common:    --host 127.0.0.1 --port 1883 --transport tcp|ws|tls|wss --ws-path /mqtt
           --username U --password P --workers 1 --source-addrs 0(auto) --connect-concurrency 32
           --connect-timeout 10 --broker-pid PID --label NAME --json-only
messages:  --qos 0 --payload 64 --rate 0(flat out) --duration 10 --inflight 100 --drain 5
           --clean-session 1 (0: persistent subscribers with fixed client ids)
lock:      --lock-mode rule|responder --auth-redis HOST:PORT --pair-gap-ms 5
)";
}

}  // namespace bench
