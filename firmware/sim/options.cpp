#include "options.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace locksim {
namespace {

constexpr const char* usage = R"(sakura-lock: simulates one smart lock, or thousands, against an MQTT broker.

  --broker HOST:PORT        broker address (default 127.0.0.1:1883)
  --lockno L                the lock's number: MQTT client id and username
  --password P              MQTT password
  --count N                 simulate N locks named PREFIX + zero-padded index, 11 characters
  --lockno-prefix PREFIX    (with --count)
  --credentials FILE        simulate the locks listed in FILE, one "lockno password" a line
  --version V               firmware version the locks start with (default 1.0.0)
  --tls                     MQTT over TLS; verify with --cafile FILE, or skip it with --insecure
  --keepalive S             MQTT keepalive seconds (default 60)
  --mqtt-version 3.1|3.1.1  protocol the locks speak (default 3.1.1; 3.1 as older locks do)
  --relock-ms MS            an unlocked lock locks again after this (default 5000)
  --bolt-ms MS              time the bolt takes to move (default 200)
  --backoff-min-ms MS, --backoff-max-ms MS   reconnect delays (default 1000, 60000)
  --ota-range BYTES         bytes per HTTP range request during OTA (default 16384)
  --ota-timeout-ms MS       idle time that counts as a dropped download (default 15000)
  --threads N               I/O threads per process (default 1)
  --locks-per-process N     above this, --count is split over forked workers (default 18000)
  --quiet                   no per-lock lines
  --control                 read commands from stdin, one a line (locks of the first process only):
                              drop L      the network cuts lock L's MQTT link (its will fires)
                              off L, on L power lock L off (links die) and on again (a fresh boot)
                              key L open, key L lock   the bolt moved by hand
  --stats S                 print a summary every S seconds

Output: one line per thing a lock does: "<seconds> <lockno> <event> [detail]".
)";

template <typename T>
bool number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

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
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      fmt::print("{}", usage);
      exit_code = 0;
      return false;
    }
    if (arg == "--tls") { o.tls = true; continue; }
    if (arg == "--insecure") { o.insecure = true; continue; }
    if (arg == "--quiet") { o.quiet = true; continue; }
    if (arg == "--control") { o.control = true; continue; }
    if (i + 1 >= argc) return fail(fmt::format("unknown option or missing value: {}", arg));
    std::string_view v = argv[++i];
    bool ok = true;
    std::uint64_t n = 0;
    if (arg == "--broker") {
      auto colon = v.rfind(':');
      std::uint16_t port = 0;
      ok = colon != std::string_view::npos && colon > 0 && number(v.substr(colon + 1), port) && port;
      if (ok) {
        o.broker_host = std::string(v.substr(0, colon));
        o.broker_port = port;
      }
    } else if (arg == "--lockno") {
      o.lockno = v;
      ok = !v.empty() && v.size() <= firmware::lockno_max;
    } else if (arg == "--lockno-prefix") {
      o.lockno_prefix = v;
      ok = v.size() < 11;
    } else if (arg == "--password") {
      o.password = v;
      ok = v.size() <= firmware::password_max;
    } else if (arg == "--count") {
      ok = number(v, o.count) && o.count > 0;
    } else if (arg == "--version") {
      o.version = v;
      ok = firmware::set_field(o.base.version, o.version.c_str());
    } else if (arg == "--credentials") {
      std::string error;
      if (!read_credentials(std::string(v), o, error)) return fail(error);
    } else if (arg == "--cafile") {
      o.cafile = v;
    } else if (arg == "--threads") {
      ok = number(v, o.threads) && o.threads > 0 && o.threads <= 64;
    } else if (arg == "--locks-per-process") {
      ok = number(v, o.locks_per_process) && o.locks_per_process > 0;
    } else if (arg == "--bolt-ms") {
      ok = number(v, o.bolt_ms);
    } else if (arg == "--stats") {
      ok = number(v, o.stats_s);
    } else if (arg == "--mqtt-version") {
      ok = v == "3.1" || v == "3.1.1";
      o.base.protocol_level = v == "3.1" ? 3 : 4;
    } else if (arg == "--keepalive") {
      ok = number(v, o.base.keepalive_s);
    } else if (arg == "--relock-ms") {
      ok = number(v, n) && (o.base.relock_ms = n, true);
    } else if (arg == "--backoff-min-ms") {
      ok = number(v, n) && n > 0 && (o.base.backoff_min_ms = n, true);
    } else if (arg == "--backoff-max-ms") {
      ok = number(v, n) && n > 0 && (o.base.backoff_max_ms = n, true);
    } else if (arg == "--ota-range") {
      ok = number(v, o.base.ota_range_bytes) && o.base.ota_range_bytes > 0;
    } else if (arg == "--ota-timeout-ms") {
      ok = number(v, n) && n > 0 && (o.base.ota_idle_timeout_ms = n, true);
    } else {
      return fail(fmt::format("unknown option {}", arg));
    }
    if (!ok) return fail(fmt::format("bad value for {}: {}", arg, v));
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
  if (o.base.backoff_max_ms < o.base.backoff_min_ms)
    return fail("--backoff-max-ms is below --backoff-min-ms");
  if (o.broker_host.size() > firmware::host_max) return fail("broker host name too long");
  firmware::set_field(o.base.password, o.password.c_str());
  firmware::set_field(o.base.broker_host, o.broker_host.c_str());
  o.base.broker_port = o.broker_port;
  o.base.broker_tls = o.tls;
  return true;
}

}  // namespace locksim
