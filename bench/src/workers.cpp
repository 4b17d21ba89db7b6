#include "workers.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "bench/stamp.hpp"

namespace bench {
namespace {

bool write_all(int fd, const std::string& s) {
  std::size_t at = 0;
  while (at < s.size()) {
    ssize_t n = ::write(fd, s.data() + at, s.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

struct Child {
  pid_t pid = -1;
  int from_child = -1;
  int to_child = -1;
  std::string text;
  bool ready = false;
  bool done = false;  // report received, or the pipe closed
};

// Reads what arrived from every child until `phase_done` holds or `deadline_ns` passes.
void pump(std::vector<Child>& kids, std::uint64_t deadline_ns, const std::function<bool()>& phase_done) {
  while (!phase_done()) {
    auto now = monotonic_ns();
    if (now >= deadline_ns) return;
    std::vector<pollfd> fds;
    std::vector<Child*> who;
    for (auto& k : kids)
      if (!k.done) fds.push_back({k.from_child, POLLIN, 0}), who.push_back(&k);
    if (fds.empty()) return;
    int wait_ms = static_cast<int>(std::min<std::uint64_t>((deadline_ns - now) / 1'000'000 + 1, 1000));
    int n = ::poll(fds.data(), fds.size(), wait_ms);
    if (n < 0 && errno != EINTR) return;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      Child& k = *who[i];
      if (got <= 0) {
        k.done = true;
        k.ready = true;
        continue;
      }
      k.text.append(buf, static_cast<std::size_t>(got));
      if (!k.ready && k.text.rfind("ready\n", 0) == 0) {
        k.ready = true;
        k.text.erase(0, 6);
      }
      if (k.text.size() >= 4 && k.text.compare(k.text.size() - 4, 4, "end\n") == 0) k.done = k.ready = true;
    }
  }
}

}  // namespace

void signal_ready(const WorkerContext& ctx) { write_all(ctx.to_parent, "ready\n"); }

WorkersResult run_workers(std::uint32_t count, const WorkerBody& body, double ready_deadline_s, double run_deadline_s,
                          const std::function<void()>& on_all_ready) {
  WorkersResult result;
  std::vector<Child> kids(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    int up[2], down[2];
    if (::pipe(up) != 0 || ::pipe(down) != 0) {
      result.errors.push_back(fmt::format("pipe: {}", std::strerror(errno)));
      count = i;
      kids.resize(i);
      break;
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      // The child keeps only its own two ends: an inherited write end of a sibling's pipe would
      // hide that sibling's EOF from the parent.
      for (std::uint32_t j = 0; j < i; ++j) ::close(kids[j].from_child), ::close(kids[j].to_child);
      ::close(up[0]);
      ::close(down[1]);
      ::signal(SIGPIPE, SIG_IGN);
      WorkerContext ctx{i, count, up[1], down[0]};
      Report r = body(ctx);
      write_all(up[1], r.serialize());
      ::_exit(0);
    }
    ::close(up[1]);
    ::close(down[0]);
    kids[i].pid = pid;
    kids[i].from_child = up[0];
    kids[i].to_child = down[1];
    if (pid < 0) {
      result.errors.push_back(fmt::format("fork: {}", std::strerror(errno)));
      kids[i].done = kids[i].ready = true;
    }
  }

  auto start = monotonic_ns();
  pump(kids, start + static_cast<std::uint64_t>(ready_deadline_s * 1e9), [&] {
    for (auto& k : kids)
      if (!k.ready) return false;
    return true;
  });
  if (on_all_ready) on_all_ready();
  for (auto& k : kids) {
    write_all(k.to_child, "g");
  }
  auto go = monotonic_ns();
  pump(kids, go + static_cast<std::uint64_t>(run_deadline_s * 1e9), [&] {
    for (auto& k : kids)
      if (!k.done) return false;
    return true;
  });

  for (std::uint32_t i = 0; i < kids.size(); ++i) {
    auto& k = kids[i];
    if (k.pid > 0 && !k.done) {
      ::kill(k.pid, SIGKILL);
      result.errors.push_back(fmt::format("worker {} overran its deadline and was killed", i));
    }
    ::close(k.from_child);
    ::close(k.to_child);
    if (k.pid > 0) {
      int status = 0;
      ::waitpid(k.pid, &status, 0);
    }
    Report r;
    if (k.done && r.parse(k.text)) {
      result.merged.merge(r);
      ++result.reported;
    } else if (k.done) {
      result.errors.push_back(fmt::format("worker {} ended without a report", i));
    }
  }
  return result;
}

}  // namespace bench
