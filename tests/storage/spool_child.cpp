// Helper for test_history: appends N lock events through a HistoryWriter whose database is
// unreachable, prints how many the spool acknowledged, then dies by SIGKILL (no destructors, no
// final fsync), as a crashed broker would. Usage: spool_child DATA_DIR N
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "storage/open.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  storage::Config cfg;
  cfg.data_dir = argv[1];
  cfg.sql.backend = storage::SqlBackend::mariadb;
  cfg.sql.host = "127.0.0.1";
  cfg.sql.port = 1;  // nothing listens: every write fails, events stay in the spool
  cfg.sql.reconnect_min = std::chrono::milliseconds(60000);
  int n = std::atoi(argv[2]);
  boost::asio::io_context io;
  auto log = std::make_shared<spdlog::logger>("child", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto opened = storage::open(cfg, io, log);
  if (!opened.ok) {
    std::fprintf(stderr, "%s\n", opened.message.c_str());
    return 1;
  }
  std::atomic<int> acked{0};
  for (int i = 0; i < n; ++i) {
    storage::HistoryEvent e{"CRASH000001", storage::LockEvent::locked, 1700000000000 + i, ""};
    opened.value.history->append(e, [&](storage::Status st) {
      if (st.ok) ++acked;
    });
  }
  while (acked.load() < n) std::this_thread::yield();
  std::printf("%d\n", acked.load());
  std::fflush(stdout);
  std::raise(SIGKILL);
}
