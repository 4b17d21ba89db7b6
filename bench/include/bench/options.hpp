#pragma once
// Command-line settings of one sakura-bench run. Every run is bounded: durations, counts and a
// connect timeout all have finite defaults, and parse() refuses values that would make it unbounded.
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

enum class Scenario { conn, fanin, fanout, p2p, lock };
enum class Transport { tcp, ws, tls, wss };
enum class LockMode { rule, responder };

struct Options {
  Scenario scenario = Scenario::conn;
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  Transport transport = Transport::tcp;
  std::string ws_path = "/mqtt";
  std::string username, password;  // optional, for every connection (not the lock scenario's owners)

  // conn
  std::uint32_t connections = 1000;
  double connect_rate = 0;  // new connections per second over all workers; 0: as fast as possible
  double hold = 5;          // seconds every connection stays idle once all are up
  std::uint16_t keepalive = 60;

  // fanin, fanout, p2p
  std::uint32_t publishers = 1;
  std::uint32_t subscribers = 1;
  std::uint8_t qos = 0;
  std::uint32_t payload = 64;    // bytes, at least the 16-byte stamp
  double rate = 0;               // messages per second over all publishers; 0: flat out
  double duration = 10;          // seconds of publishing
  std::uint32_t inflight = 100;  // per publisher: messages sent and not yet delivered
  double drain = 5;              // seconds to wait for stragglers after publishing stops
  // false: subscribers connect with clean session 0 under fixed ids (sbs-persistent-<n>), so a
  // broker with persistence stores what it queues for them.
  bool clean_session = true;

  // lock
  std::uint32_t locks = 100;
  double pair_rate = 50;   // m/f pairs per second over all locks
  double pair_gap_ms = 5;  // m is published this long before f
  LockMode lock_mode = LockMode::rule;
  std::string auth_redis;  // HOST:PORT: write credentials there as the login does

  // process and measurement
  std::uint32_t workers = 1;
  std::uint32_t source_addrs = 0;  // loopback source addresses from 127.0.0.2; 0: enough for the count
  // Per worker, connections in the middle of connecting. Mosquitto listens with a backlog of 100;
  // more SYNs than that in flight are dropped and retried a second later, which measures the
  // kernel's retry timer, not the broker.
  std::uint32_t connect_concurrency = 32;
  double connect_timeout = 10;
  int broker_pid = 0;  // read its memory from /proc when set
  bool json_only = false;
  std::string label;  // copied into the JSON line (e.g. "mosquitto", "sakura")
};

struct ParseResult {
  Options options;
  std::string error;  // empty when ok
  bool help = false;
};

ParseResult parse_options(const std::vector<std::string>& args);
std::string usage();

const char* to_string(Scenario s);
const char* to_string(Transport t);
const char* to_string(LockMode m);

}  // namespace bench
