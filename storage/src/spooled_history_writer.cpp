#include "spooled_history_writer.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <list>
#include <thread>

#include "history_spool.hpp"

#include "broker/log_text.hpp"
namespace storage::detail {
namespace {

constexpr size_t kBatch = 500;
constexpr std::chrono::milliseconds kRetryMin{200};
constexpr std::chrono::milliseconds kRetryMax{10000};
constexpr std::chrono::seconds kEverySec{1};

}  // namespace

struct SpooledHistoryWriter::Impl : std::enable_shared_from_this<Impl> {
  struct Waiter {
    std::uint64_t seq;
    StatusCallback done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  Impl(const std::string& dir, SyncPolicy sync, std::size_t limit, std::shared_ptr<Sql> sql,
       std::shared_ptr<spdlog::logger> log)
      : spool(dir, sync),
        sync(sync),
        limit(limit),
        sql(std::move(sql)),
        log(std::move(log)),
        guard(io.get_executor()),
        retry(io),
        sync_timer(io) {
    pending = spool.take_recovered();
    stat_pending = pending.size();
    if (!pending.empty())
      this->log->warn("history: {} events from a previous run are waiting for the database", pending.size());
  }

  void start() {
    // The thread holds the Impl: if the writer's last owner lets go from a callback on this very
    // thread, stop() cannot join it, and the loop must still find the Impl alive as it winds down.
    thread = std::thread([self = shared_from_this()] { self->io.run(); });
    boost::asio::post(io, [this] {
      drain();
      if (sync == SyncPolicy::everysec) tick();
    });
  }

  void stop() {
    guard.reset();
    if (thread.get_id() == std::this_thread::get_id()) {
      shut_down();  // already on the writer's thread: it winds down once this handler returns
      thread.detach();
      return;
    }
    boost::asio::post(io, [this] { shut_down(); });
    thread.join();
  }

  void shut_down() {
    stopping = true;
    retry.cancel();
    sync_timer.cancel();
    auto left = std::move(waiters);
    waiters.clear();
    for (auto& w : left) {
      w.timer->cancel();
      w.done(Status::failure("history writer stopped"));
    }
  }

  void append(HistoryEvent event, StatusCallback done) {
    if (stopping) {
      if (done) done(Status::failure("history writer stopped"));
      return;
    }
    if (pending.size() >= limit) {
      ++stat_rejected;
      if (stat_rejected % 1000 == 1)
        log->error("history: spool full ({} events waiting); {} events refused so far", pending.size(),
                   stat_rejected.load());
      if (done) done(Status::failure("history spool full"));
      return;
    }
    try {
      pending.push_back(spool.append(std::move(event)));
    } catch (const std::exception& e) {
      log->error("{}", broker::log_text(e.what()));
      if (done) done(Status::failure(e.what()));
      return;
    }
    last_accepted = pending.back().seq;
    ++stat_accepted;
    stat_pending = pending.size();
    if (sync == SyncPolicy::always) {
      // Group commit: every append queued behind this one shares the fsync posted here.
      if (done) unsynced.push_back(std::move(done));
      if (!sync_posted) {
        sync_posted = true;
        boost::asio::post(io, [this] { sync_now(); });
      }
    } else if (done) {
      done(Status::success());
    }
    drain();
  }

  void sync_now() {
    sync_posted = false;
    Status st = Status::success();
    try {
      spool.sync();
    } catch (const std::exception& e) {
      log->error("{}", broker::log_text(e.what()));
      st = Status::failure(e.what());
    }
    auto acks = std::move(unsynced);
    unsynced.clear();
    for (auto& ack : acks) ack(st);
  }

  void tick() {
    if (stopping) return;
    sync_timer.expires_after(kEverySec);
    sync_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      try {
        spool.sync();
      } catch (const std::exception& e) {
        log->error("{}", broker::log_text(e.what()));
      }
      tick();
    });
  }

  void drain() {
    if (stopping || in_flight || waiting_retry || pending.empty()) return;
    size_t n = std::min(kBatch, pending.size());
    std::vector<HistoryEvent> batch;
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) batch.push_back(pending[i].event);
    std::uint64_t last = pending[n - 1].seq;
    in_flight = true;
    // The database answers on its own thread, possibly after this writer was destroyed: only a
    // weak reference crosses, and the handler posted back holds none (a queued handler that
    // never runs is simply destroyed with the io_context).
    sql->append_history(std::move(batch), [weak = weak_from_this(), n, last](Status st) {
      if (auto self = weak.lock()) {
        Impl* impl = self.get();
        boost::asio::post(impl->io, [impl, n, last, st] { impl->written(n, last, st); });
      }
    });
  }

  void written(size_t n, std::uint64_t last, const Status& st) {
    in_flight = false;
    stat_failing = !st.ok;
    if (!st.ok) {
      ++stat_failures;
      if (backoff == kRetryMin)
        log->warn("history: database write failed ({}); {} events wait in the spool", broker::log_text(st.message),
                  pending.size());
      waiting_retry = true;
      retry.expires_after(backoff);
      backoff = std::min(backoff * 2, kRetryMax);
      retry.async_wait([this](boost::system::error_code ec) {
        waiting_retry = false;
        if (!ec) drain();
      });
      return;
    }
    if (backoff != kRetryMin) log->info("history: database writes resumed");
    backoff = kRetryMin;
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
    stat_written += n;
    stat_pending = pending.size();
    try {
      spool.committed(last, pending.empty());
    } catch (const std::exception& e) {
      log->error("{}", broker::log_text(e.what()));  // replays stay exactly-once by uid, so carry on
    }
    committed_seq = last;
    for (auto it = waiters.begin(); it != waiters.end();) {
      if (it->seq <= committed_seq) {
        it->timer->cancel();
        auto done = std::move(it->done);
        it = waiters.erase(it);
        done(Status::success());
      } else {
        ++it;
      }
    }
    drain();
  }

  void flush(std::chrono::milliseconds timeout, StatusCallback done) {
    std::uint64_t target = last_accepted;
    if (pending.empty() || pending.front().seq > target) {
      done(Status::success());
      return;
    }
    auto timer = std::make_unique<boost::asio::steady_timer>(io, timeout);
    auto* raw = timer.get();
    waiters.push_back({target, std::move(done), std::move(timer)});
    auto it = std::prev(waiters.end());
    // Cancelled only by whoever already removed the waiter (written() or stop()).
    raw->async_wait([this, it](boost::system::error_code ec) {
      if (ec) return;
      auto done = std::move(it->done);
      waiters.erase(it);
      done(Status::failure("history flush timed out with " + std::to_string(pending.size()) + " events pending"));
    });
  }

  HistorySpool spool;
  SyncPolicy sync;
  std::size_t limit;
  std::shared_ptr<Sql> sql;
  std::shared_ptr<spdlog::logger> log;

  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
  boost::asio::steady_timer retry;
  boost::asio::steady_timer sync_timer;
  std::thread thread;

  std::deque<SpooledEvent> pending;
  std::vector<StatusCallback> unsynced;
  std::list<Waiter> waiters;
  std::uint64_t last_accepted = 0;
  std::uint64_t committed_seq = 0;
  std::chrono::milliseconds backoff = kRetryMin;
  bool in_flight = false, waiting_retry = false, sync_posted = false, stopping = false;

  std::atomic<std::uint64_t> stat_accepted{0}, stat_written{0}, stat_pending{0}, stat_rejected{0}, stat_failures{0};
  std::atomic<bool> stat_failing{false};
};

SpooledHistoryWriter::SpooledHistoryWriter(const std::string& dir, SyncPolicy sync, std::size_t limit,
                                           std::shared_ptr<Sql> sql, std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_shared<Impl>(dir, sync, limit, std::move(sql), std::move(log))) {
  impl_->start();
}

SpooledHistoryWriter::~SpooledHistoryWriter() { impl_->stop(); }

void SpooledHistoryWriter::append(HistoryEvent event, StatusCallback done) {
  // A raw pointer: the handler runs only on the writer's thread, which stops before Impl dies.
  boost::asio::post(impl_->io, [impl = impl_.get(), event = std::move(event), done = std::move(done)]() mutable {
    impl->append(std::move(event), std::move(done));
  });
}

HistoryStats SpooledHistoryWriter::stats() const {
  return {impl_->stat_accepted, impl_->stat_written,  impl_->stat_pending,
          impl_->stat_rejected, impl_->stat_failures, impl_->stat_failing};
}

void SpooledHistoryWriter::flush(std::chrono::milliseconds timeout, StatusCallback done) {
  boost::asio::post(impl_->io, [impl = impl_.get(), timeout, done = std::move(done)]() mutable {
    impl->flush(timeout, std::move(done));
  });
}

}  // namespace storage::detail
