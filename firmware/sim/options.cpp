#include "options.hpp"

#include <fmt/core.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>
#include <string_view>
#include <vector>

#include "common/keep_last.hpp"

namespace locksim {
namespace {

namespace po = boost::program_options;

constexpr const char* intro = R"(sakura-lock: simulates one smart lock, or thousands, against an MQTT broker.
usage: sakura-lock --lockno L --password P [options]
       sakura-lock --count N --lockno-prefix PREFIX --password P [options]
       sakura-lock --credentials FILE [options]

Output: one line per thing a lock does: "<seconds> <lockno> <event> [detail]".
--control reads commands from stdin, one a line (locks of the first process only):
  drop L            the network cuts lock L's MQTT link (its will fires)
  off L, on L       power lock L off (links die) and on again (a fresh boot)
  key L open|lock   the bolt moved by hand
)";

// A numeric option: read as a signed 64-bit number, so "-1" is refused rather than wrapped into
// an unsigned field, then checked against [lo, hi] before it is stored.
struct Number {
  const char* name;
  long long lo, hi;
  std::function<long long(const Options&)> get;
  std::function<void(Options&, long long)> set;
  const char* help;
};

std::vector<Number> numbers() {
  constexpr long long day_ms = 86'400'000;
  return {
      {"count", 1, 10'000'000, [](auto& o) { return o.count; }, [](auto& o, auto v) { o.count = v; },
       "simulate N locks named PREFIX + zero-padded index, 11 characters (needs --lockno-prefix)"},
      {"keepalive", 0, 65535, [](auto& o) { return o.base.keepalive_s; },
       [](auto& o, auto v) { o.base.keepalive_s = v; }, "MQTT keepalive seconds"},
      {"relock-ms", 0, day_ms, [](auto& o) { return o.base.relock_ms; }, [](auto& o, auto v) { o.base.relock_ms = v; },
       "an unlocked lock locks again after this"},
      {"bolt-ms", 0, 60'000, [](auto& o) { return o.bolt_ms; }, [](auto& o, auto v) { o.bolt_ms = v; },
       "time the bolt takes to move"},
      {"backoff-min-ms", 1, day_ms, [](auto& o) { return o.base.backoff_min_ms; },
       [](auto& o, auto v) { o.base.backoff_min_ms = v; }, "shortest reconnect delay"},
      {"backoff-max-ms", 1, day_ms, [](auto& o) { return o.base.backoff_max_ms; },
       [](auto& o, auto v) { o.base.backoff_max_ms = v; }, "longest reconnect delay"},
      {"ota-range", 1, 16 << 20, [](auto& o) { return o.base.ota_range_bytes; },
       [](auto& o, auto v) { o.base.ota_range_bytes = v; }, "bytes per HTTP range request during OTA"},
      {"ota-timeout-ms", 1, day_ms, [](auto& o) { return o.base.ota_idle_timeout_ms; },
       [](auto& o, auto v) { o.base.ota_idle_timeout_ms = v; }, "idle time that counts as a dropped download"},
      {"threads", 1, 64, [](auto& o) { return o.threads; }, [](auto& o, auto v) { o.threads = v; },
       "I/O threads per process"},
      {"locks-per-process", 1, 1'000'000, [](auto& o) { return o.locks_per_process; },
       [](auto& o, auto v) { o.locks_per_process = v; }, "above this, --count is split over forked workers"},
      {"stats", 0, 86'400, [](auto& o) { return o.stats_s; }, [](auto& o, auto v) { o.stats_s = v; },
       "print a summary every N seconds (0: never)"},
  };
}

po::options_description describe(const Options& defaults, bool& help) {
  po::options_description d("options", 100);
  d.add_options()                                                     //
      ("help,h", po::bool_switch(&help), "print this help and exit")  //
      ("broker", po::value<std::string>()->value_name("HOST:PORT")->default_value("127.0.0.1:1883"),
       "broker address")                                                                                       //
      ("lockno", po::value<std::string>()->value_name("L"), "the lock's number: MQTT client id and username")  //
      ("password", po::value<std::string>()->value_name("P"), "MQTT password")                                 //
      ("lockno-prefix", po::value<std::string>()->value_name("PREFIX"),
       "fleet lock numbers start with this (with --count)")  //
      ("credentials", po::value<std::string>()->value_name("FILE"),
       "simulate the locks listed in FILE, one \"lockno password\" a line")  //
      ("version", po::value<std::string>()->value_name("V")->default_value(defaults.version),
       "firmware version the locks start with")                                                                  //
      ("tls", "MQTT over TLS; verify with --cafile FILE or the system store, or skip it with --insecure")        //
      ("cafile", po::value<std::string>()->value_name("FILE"), "with --tls: verify the broker against this CA")  //
      ("insecure", "with --tls: do not verify the broker at all")                                                //
      ("mqtt-version", po::value<std::string>()->value_name("3.1|3.1.1")->default_value("3.1.1"),
       "protocol the locks speak (3.1 as older locks do)")  //
      ("quiet", "no per-lock lines")                        //
      ("control", "read commands from stdin, one a line (above)");
  for (auto& n : numbers())
    d.add_options()(n.name, po::value<long long>()->value_name("N")->default_value(n.get(defaults)), n.help);
  return d;
}

}  // namespace

std::string usage() {
  bool help = false;
  std::ostringstream out;
  out << intro << "\n" << describe(Options{}, help);
  return out.str();
}

std::string lockno_of(const Options& o, std::size_t index) {
  if (!o.credentials.empty()) return o.credentials[index].first;
  if (!o.lockno.empty() && o.count == 1) return o.lockno;
  std::string digits = std::to_string(index);
  std::size_t width = o.lockno_prefix.size() < 11 ? 11 - o.lockno_prefix.size() : 0;
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return o.lockno_prefix + digits;
}

std::string password_of(const Options& o, std::size_t index) {
  return o.credentials.empty() ? o.password : o.credentials[index].second;
}

namespace {

// "lockno password" lines; blank lines and lines starting with '#' are skipped.
bool read_credentials(const std::string& path, Options& o, std::string& error) {
  std::ifstream in(path);
  if (!in) return error = "cannot read " + path, false;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::istringstream fields(line);
    std::string lockno, password, extra;
    if (!(fields >> lockno) || lockno[0] == '#') continue;
    if (!(fields >> password) || (fields >> extra) || lockno.size() > firmware::lockno_max ||
        password.size() > firmware::password_max)
      return error = fmt::format("{}:{}: expected \"lockno password\"", path, n), false;
    o.credentials.emplace_back(lockno, password);
  }
  if (o.credentials.empty()) return error = path + " lists no locks", false;
  return true;
}

}  // namespace

bool parse_options(int argc, char** argv, Options& o, int& exit_code) {
  firmware::set_field(o.base.version, "1.0.0");
  auto fail = [&](const std::string& msg) {
    fmt::print(stderr, "sakura-lock: {}\n(see --help)\n", msg);
    exit_code = 2;
    return false;
  };
  bool help = false;
  auto desc = describe(o, help);
  po::variables_map vm;
  try {
    auto parsed = po::parse_command_line(argc, argv, desc);
    // A later occurrence of an option replaces an earlier one (tests/wire/lock_sim.py passes its
    // defaults first, a test's own values after), where Program_options would refuse the repeat.
    common::keep_last_of_each(parsed.options, [](const po::option& o) { return o.string_key; });
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (help) {
    fmt::print("{}", usage());
    exit_code = 0;
    return false;
  }
  auto text = [&](const char* name) { return vm.count(name) ? vm[name].as<std::string>() : std::string(); };
  auto bad = [&](const char* name) { return fail(fmt::format("bad value for --{}: {}", name, text(name))); };

  std::string broker = text("broker");
  auto colon = broker.rfind(':');
  std::uint16_t port = 0;
  auto port_text = colon == std::string::npos ? std::string_view() : std::string_view(broker).substr(colon + 1);
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (colon == std::string::npos || colon == 0 || ec != std::errc() || end != port_text.data() + port_text.size() ||
      !port)
    return bad("broker");
  o.broker_host = broker.substr(0, colon);
  o.broker_port = port;
  if (vm.count("lockno")) {
    o.lockno = text("lockno");
    if (o.lockno.empty() || o.lockno.size() > firmware::lockno_max) return bad("lockno");
  }
  o.lockno_prefix = text("lockno-prefix");
  if (o.lockno_prefix.size() >= 11) return bad("lockno-prefix");
  o.password = text("password");
  if (o.password.size() > firmware::password_max) return bad("password");
  o.version = text("version");
  if (!firmware::set_field(o.base.version, o.version.c_str())) return bad("version");
  if (vm.count("credentials")) {
    std::string error;
    if (!read_credentials(text("credentials"), o, error)) return fail(error);
  }
  o.cafile = text("cafile");
  o.tls = vm.count("tls") > 0;
  o.insecure = vm.count("insecure") > 0;
  o.quiet = vm.count("quiet") > 0;
  o.control = vm.count("control") > 0;
  std::string mqtt_version = text("mqtt-version");
  if (mqtt_version != "3.1" && mqtt_version != "3.1.1") return bad("mqtt-version");
  o.base.protocol_level = mqtt_version == "3.1" ? 3 : 4;
  for (auto& n : numbers()) {
    long long v = vm[n.name].as<long long>();
    if (v < n.lo || v > n.hi)
      return fail(fmt::format("bad value for --{}: {} (allowed {}..{})", n.name, v, n.lo, n.hi));
    n.set(o, v);
  }
  if (!o.credentials.empty()) {
    if (!o.lockno.empty() || !o.lockno_prefix.empty() || o.count != 1)
      return fail("--credentials lists the locks: no --lockno, --lockno-prefix or --count with it");
    o.count = o.credentials.size();
  } else if (o.count > 1 && o.lockno_prefix.empty()) {
    return fail("--count needs --lockno-prefix");
  } else if (o.count == 1 && o.lockno.empty() && o.lockno_prefix.empty()) {
    return fail("give --lockno, --count with --lockno-prefix, or --credentials");
  }
  if (o.base.backoff_max_ms < o.base.backoff_min_ms) return fail("--backoff-max-ms is below --backoff-min-ms");
  if (o.broker_host.size() > firmware::host_max) return fail("broker host name too long");
  firmware::set_field(o.base.password, o.password.c_str());
  firmware::set_field(o.base.broker_host, o.broker_host.c_str());
  o.base.broker_port = o.broker_port;
  o.base.broker_tls = o.tls;
  return true;
}

}  // namespace locksim
