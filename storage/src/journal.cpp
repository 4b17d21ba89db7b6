#include "journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "file_io.hpp"
#include "journal_format.hpp"

namespace storage {
namespace detail {
namespace {

constexpr auto kEverysec = std::chrono::seconds(1);
constexpr auto kRetryEvery = std::chrono::seconds(1);
constexpr std::size_t kRewriteChunk = 1 << 20;

std::string errno_text() { return std::strerror(errno); }

std::string read_file(int fd, const std::string& path) {
  std::string data;
  char chunk[1 << 16];
  if (::lseek(fd, 0, SEEK_SET) < 0) throw std::runtime_error("journal: seek " + path + ": " + errno_text());
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("journal: read " + path + ": " + errno_text());
    if (n == 0) return data;
    data.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

Journal::Journal(JournalConfig cfg, std::shared_ptr<spdlog::logger> log) : cfg_(std::move(cfg)), log_(std::move(log)) {
  std::filesystem::path path(cfg_.path);
  dir_ = path.parent_path().string();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("journal: cannot create " + dir_ + ": " + ec.message());
  fd_ = ::open(cfg_.path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("journal: cannot open " + cfg_.path + ": " + errno_text());
}

Journal::~Journal() { close(); }

broker::PersistedState Journal::load() {
  if (writer_.joinable()) throw std::logic_error("journal: load() called twice");
  std::string data = read_file(fd_, cfg_.path);
  broker::PersistedState state;
  auto scan = scan_journal(data, [&](broker::persist::Record&& r) { state.apply(r); });
  using Outcome = JournalScan::Outcome;
  switch (scan.outcome) {
    case Outcome::ok: break;
    case Outcome::torn_tail:
      log_->warn("journal {}: dropped the last {} bytes ({}, a write cut short by a crash); {} records kept", cfg_.path,
                 data.size() - scan.valid_end, scan.detail, scan.records);
      break;
    case Outcome::future_version:
      // Moving it aside would silently start empty and lose the newer broker's sessions.
      throw std::runtime_error("journal " + cfg_.path + " has " + scan.detail +
                               ", written by a newer Sakura (this one reads version " +
                               std::to_string(kJournalVersion) +
                               "): run that version, or move the file away to start without the persisted sessions");
    case Outcome::corrupt:
    case Outcome::bad_header: {
      std::string aside = cfg_.path + ".corrupt-" + std::to_string(std::time(nullptr));
      if (::rename(cfg_.path.c_str(), aside.c_str()) != 0)
        throw std::runtime_error("journal " + cfg_.path + " is damaged (" + scan.detail +
                                 ") and cannot be moved aside to " + aside + ": " + errno_text() +
                                 "; move it away by hand");
      log_->error(
          "journal {}: damaged at byte {} of {} ({}); moved it to {} and continue with what replayed before "
          "the damage: {} records, {}",
          cfg_.path, scan.valid_end, data.size(), scan.detail, aside, scan.records, describe(state));
      break;
    }
  }
  state.drop_unreferenced();
  state_ = state;
  // Start-up rewrites the journal compacted: it cuts a torn tail, replaces a moved-aside file,
  // and bounds the next start's replay.
  if (!rewrite()) throw std::runtime_error("journal: cannot write " + cfg_.path + ": see the error above");
  stored_bytes_ = state_.stored_bytes();
  log_->info("journal {}: restored {}", cfg_.path, describe(state_));
  writer_ = std::thread([this] { run(); });
  return state;
}

void Journal::append(broker::persist::Record record) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  bool idle = queue_.empty() && barriers_.empty();
  queue_.push_back(std::move(record));
  if (idle) wake_.notify_one();
}

void Journal::barrier(std::function<void()> done) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  bool idle = queue_.empty() && barriers_.empty();
  barriers_.push_back(std::move(done));
  if (idle) wake_.notify_one();
}

void Journal::close() {
  std::lock_guard<std::mutex> closing(close_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) {
    if (dirty_ && ::fdatasync(fd_) != 0) log_->error("journal {}: fdatasync at close: {}", cfg_.path, errno_text());
    ::close(fd_);
    fd_ = -1;
  }
}

void Journal::run() {
  std::vector<broker::persist::Record> batch;
  std::vector<std::function<void()>> done;
  for (;;) {
    bool stop = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (queue_.empty() && barriers_.empty() && !stopping_) {
        if (failing_) {
          if (wake_.wait_until(lock, next_retry_) == std::cv_status::timeout) break;
        } else if (dirty_ && cfg_.sync == SyncPolicy::everysec) {
          if (wake_.wait_until(lock, last_sync_ + kEverysec) == std::cv_status::timeout) break;
        } else {
          wake_.wait(lock);
        }
      }
      batch.swap(queue_);
      done.swap(barriers_);
      stop = stopping_ && batch.empty() && done.empty();
    }
    write_batch(batch);
    if (!failing_ && (cfg_.sync == SyncPolicy::always ||
                      (cfg_.sync == SyncPolicy::everysec && Clock::now() - last_sync_ >= kEverysec)))
      sync();
    if (failing_) {
      // Nothing appended is durable until the state is written whole again: the barriers wait.
      held_.insert(held_.end(), std::make_move_iterator(done.begin()), std::make_move_iterator(done.end()));
      done.clear();
      if ((stop || Clock::now() >= next_retry_) && recover()) done.swap(held_);
    }
    stored_bytes_ = state_.stored_bytes();
    for (auto& f : done) {
      // One throwing callback must not cost the others their acknowledgement, nor the thread.
      try {
        f();
      } catch (const std::exception& e) {
        log_->error("journal {}: a barrier callback threw: {}", cfg_.path, e.what());
      }
    }
    if (!failing_) maybe_compact();
    batch.clear();
    done.clear();
    stored_bytes_ = state_.stored_bytes();  // compaction may have dropped stale bodies
    if (stop) {
      if (failing_)
        log_->critical("journal {}: stopping with records not persisted (the disk never took them)", cfg_.path);
      return;  // close() syncs what is left
    }
  }
}

void Journal::write_batch(std::vector<broker::persist::Record>& batch) {
  if (batch.empty()) return;
  // While failing the records only go to memory: the rewrite that ends the failure writes them.
  if (failing_) {
    for (auto& r : batch) state_.apply(r);
    return;
  }
  buffer_.clear();
  for (auto& r : batch) {
    state_.apply(r);
    append_frame(r, buffer_);
  }
  if (!write_all(fd_, buffer_)) return fail("write");
  file_size_ += buffer_.size();
  dirty_ = true;
  if (buffer_.capacity() > kRewriteChunk * 16) std::string().swap(buffer_);  // after a burst
}

void Journal::sync() {
  if (!dirty_) return;
  // After a failed fsync the kernel may have dropped the dirty pages, so a retry proves nothing:
  // the state is written again from memory instead.
  if (::fdatasync(fd_) != 0) return fail("fdatasync");
  dirty_ = false;
  last_sync_ = Clock::now();
}

void Journal::fail(const char* what) {
  auto why = errno_text();
  // A failed write may leave part of a batch at the end: cut it off, so that a crash while the
  // disk is full replays whole records only (load() would cut a torn tail too, but only a tail).
  if (::ftruncate(fd_, static_cast<off_t>(file_size_)) == 0) ::lseek(fd_, static_cast<off_t>(file_size_), SEEK_SET);
  failing_ = true;
  failed_at_ = Clock::now();
  next_retry_ = failed_at_ + kRetryEvery;
  log_->error(
      "journal {}: {} failed ({}); nothing new is stored and acknowledgements that wait on "
      "the store are held until it is written again from memory (tried every second)",
      cfg_.path, what, why);
}

bool Journal::recover() {
  next_retry_ = Clock::now() + kRetryEvery;
  // Smallest first: a full disk may take the live state but not the history of the file.
  state_.drop_unreferenced(true);
  if (!rewrite()) return false;  // logged by rewrite(): at most once per retry
  failing_ = false;
  log_->warn("journal {}: written again from memory after {} ms ({} bytes); storing resumes", cfg_.path,
             std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - failed_at_).count(), file_size_);
  return true;
}

void Journal::maybe_compact() {
  if (file_size_ <= std::max(cfg_.compact_min_bytes, 2 * live_size_)) return;
  auto before = file_size_;
  auto started = Clock::now();
  state_.drop_unreferenced(true);
  if (!rewrite()) return;  // logged; the old journal stays in use
  log_->info("journal {}: compacted {} bytes to {} in {} ms", cfg_.path, before, file_size_,
             std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
}

bool Journal::rewrite() {
  std::string tmp = cfg_.path + ".compact";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    log_->error("journal {}: open: {}", tmp, errno_text());
    return false;
  }
  std::string out = journal_header();
  std::uint64_t size = 0;
  bool ok = true;
  auto flush = [&] {
    ok = ok && write_all(fd, out);
    size += out.size();
    out.clear();
  };
  state_.for_each_record([&](const broker::persist::Record& r) {
    append_frame(r, out);
    if (out.size() >= kRewriteChunk) flush();
  });
  flush();
  const char* failed = !ok                                             ? "write"
                       : ::fdatasync(fd) != 0                          ? "fdatasync"
                       : ::rename(tmp.c_str(), cfg_.path.c_str()) != 0 ? "rename"
                                                                       : nullptr;
  if (failed) {
    log_->error("journal {}: {}: {}", tmp, failed, errno_text());
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  // The new file is in place; a failed directory sync only risks the old name on a power cut.
  if (!sync_dir(dir_)) log_->warn("journal {}: fsync of the directory: {}", cfg_.path, errno_text());
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  file_size_ = live_size_ = size;
  dirty_ = false;
  last_sync_ = Clock::now();
  return true;
}

std::string Journal::describe(const broker::PersistedState& state) const {
  return std::to_string(state.sessions.size()) + " sessions, " + std::to_string(state.queued_count()) +
         " queued or in-flight messages, " + std::to_string(state.retained.size()) + " retained, " +
         std::to_string(state.messages.size()) + " bodies of " + std::to_string(state.stored_bytes()) + " bytes";
}

}  // namespace detail

std::shared_ptr<broker::Persistence> open_journal(const JournalConfig& cfg, std::shared_ptr<spdlog::logger> log) {
  return std::make_shared<detail::Journal>(cfg, std::move(log));
}

}  // namespace storage
