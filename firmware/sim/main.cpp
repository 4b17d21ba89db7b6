// sakura-lock: the host build of the lock firmware. Wires options, TLS, I/O threads and the
// simulated locks together; everything a lock does is in firmware/ and sim_lock.cpp.
#include <fmt/core.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "control.hpp"
#include "options.hpp"
#include "sim_lock.hpp"
#include "workers.hpp"

namespace asio = boost::asio;

namespace {

std::unique_ptr<asio::ssl::context> make_tls(const locksim::Options& o) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  if (o.insecure) {
    ctx->set_verify_mode(asio::ssl::verify_none);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_peer);
    if (!o.cafile.empty()) ctx->load_verify_file(o.cafile);
    else ctx->set_default_verify_paths();
  }
  return ctx;
}

}  // namespace

int main(int argc, char** argv) {
  locksim::Options options;
  int exit_code = 0;
  if (!locksim::parse_options(argc, argv, options, exit_code)) return exit_code;
  // Tests and operators read the lines as they happen, also through a pipe.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  // Before any thread or io_context exists: fork() copies only the calling thread.
  locksim::Slice slice = locksim::fork_workers(options.count, options.locks_per_process);

  std::unique_ptr<asio::ssl::context> tls;
  try {
    // One context for MQTT over TLS (--tls) and for https:// firmware URLs alike.
    tls = make_tls(options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sakura-lock: TLS setup failed: {}\n", e.what());
    return 1;
  }

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (std::size_t i = 0; i < options.threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));

  locksim::FleetStats stats;
  std::vector<std::unique_ptr<locksim::SimLock>> locks;
  locks.reserve(slice.count);
  for (std::size_t i = 0; i < slice.count; ++i) {
    auto& io = *contexts[i % contexts.size()];
    locks.push_back(std::make_unique<locksim::SimLock>(io, tls.get(), options, slice.first + i, stats));
    locks.back()->start();
  }

  // Only the first process reads stdin: forked workers share it and would steal each other's lines.
  if (options.control && slice.first == 0) locksim::start_control(locks);

  asio::io_context& main_io = *contexts[0];
  auto guards = std::vector<asio::executor_work_guard<asio::io_context::executor_type>>();
  for (auto& c : contexts) guards.push_back(asio::make_work_guard(*c));

  asio::signal_set signals(main_io, SIGINT, SIGTERM);
  asio::steady_timer finish(main_io);
  int stop_signal = 0;
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    stop_signal = sig;
    for (auto& l : locks) l->stop();
    // Give the DISCONNECTs a moment to leave, then let every thread run dry.
    finish.expires_after(std::chrono::milliseconds(300));
    finish.async_wait([&](const boost::system::error_code&) {
      for (auto& c : contexts) c->stop();
    });
  });

  asio::steady_timer stats_timer(main_io);
  std::function<void()> print_stats = [&] {
    stats_timer.expires_after(std::chrono::seconds(options.stats_s));
    stats_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      fmt::print("stats locks={} connected={} connects={} unlocks={} updates={}\n", slice.count, stats.connected.load(),
                 stats.connects.load(), stats.unlocks.load(), stats.updates.load());
      print_stats();
    });
  };
  if (options.stats_s > 0) print_stats();

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts.size(); ++i) threads.emplace_back([&, i] { contexts[i]->run(); });
  main_io.run();
  for (auto& t : threads) t.join();
  if (!slice.workers.empty() && !locksim::stop_workers(slice.workers, stop_signal ? stop_signal : SIGTERM)) return 1;
  return 0;
}
