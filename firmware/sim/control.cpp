#include "control.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>

namespace locksim {
namespace {

void run(std::unordered_map<std::string, SimLock*> by_lockno) {
  std::string pending;
  char buf[4096];
  for (;;) {
    // Plain read(2): iostreams on a detached thread could hold locks that exit() needs.
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    pending.append(buf, static_cast<std::size_t>(n));
    for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos; pending.erase(0, eol + 1)) {
      std::istringstream line(pending.substr(0, eol));
      std::string verb, lockno, arg;
      line >> verb >> lockno >> arg;
      if (verb.empty()) continue;
      auto it = by_lockno.find(lockno);
      if (it == by_lockno.end()) {
        fmt::print(stderr, "sakura-lock: control: no lock {:?} in this process\n", lockno);
        continue;
      }
      SimLock& lock = *it->second;
      if (verb == "drop") {
        lock.drop();
      } else if (verb == "off" || verb == "on") {
        lock.power(verb == "on");
      } else if (verb == "key" && (arg == "open" || arg == "lock")) {
        lock.turn_key(arg == "open");
      } else {
        fmt::print(stderr, "sakura-lock: control: unknown command {:?}\n", pending.substr(0, eol));
      }
    }
  }
}

}  // namespace

void start_control(const std::vector<std::unique_ptr<SimLock>>& locks) {
  std::unordered_map<std::string, SimLock*> by_lockno;
  for (auto& l : locks) by_lockno.emplace(l->lockno(), l.get());
  std::thread(run, std::move(by_lockno)).detach();
}

}  // namespace locksim
