#pragma once
// The embedded store lives in the broker's memory and is written through to
// <node.data_dir>/sakura.db, so nothing else may write that file while a broker runs. The broker
// holds an exclusive flock(2) on <node.data_dir>/sakura.lock for its whole life; sakura-ctl takes
// the same lock before it opens the embedded store and refuses to run when it cannot. The kernel
// drops the lock when the process exits, however it exits.
#include <string>

namespace auth {

class StoreLock {
 public:
  // Tries once, without waiting. ok() tells whether this process now holds the lock.
  explicit StoreLock(const std::string& data_dir);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

  bool ok() const { return held_; }
  const std::string& path() const { return path_; }
  // Keeps the lock until the process exits (the broker's case: no owner outlives it anyway).
  void keep_until_exit();

 private:
  std::string path_;
  int fd_ = -1;
  bool held_ = false;
};

}  // namespace auth
