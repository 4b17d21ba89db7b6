#pragma once
// node.data_dir holds credentials (sakura.db with auth.password_hash=plain), the session journal,
// the history spool and firmware: nobody but the broker's own user may read it.
//
// prepare_data_dir creates the directory 0700, or tightens an existing one: the directory to
// 0700 and everything under it (not following symlinks) to the owner's bits only, one log line
// per path it changed. Files Sakura creates later are 0600 by their own open() modes and by the
// process umask (restrict_umask), so SQLite's -wal/-shm and temporary files are covered too.
//
// THREADING: called once at start, before any worker thread exists.
#include <string>

namespace spdlog {
class logger;
}

namespace storage {

// Sets the process umask to 077; returns the previous one.
unsigned restrict_umask();

// Throws std::runtime_error when the directory cannot be created or is not one.
void prepare_data_dir(const std::string& dir, spdlog::logger& log);

}  // namespace storage
