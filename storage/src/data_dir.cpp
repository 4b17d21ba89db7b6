#include "storage/data_dir.hpp"

#include <sys/stat.h>

#include <spdlog/spdlog.h>
#include <filesystem>
#include <stdexcept>

namespace storage {

namespace fs = std::filesystem;

unsigned restrict_umask() { return static_cast<unsigned>(::umask(077)); }

namespace {

// Clears group and other bits of `p` (a directory keeps its owner's x); logs what changed.
// `follow`: only for the data dir itself, which may be a symlink to the real directory.
void tighten(const fs::path& p, fs::file_status st, spdlog::logger& log, bool follow = false) {
  auto perms = st.permissions();
  constexpr auto wide = fs::perms::group_all | fs::perms::others_all;
  if ((perms & wide) == fs::perms::none) return;
  std::error_code ec;
  fs::permissions(p, wide, follow ? fs::perm_options::remove : fs::perm_options::remove | fs::perm_options::nofollow,
                  ec);
  if (ec) {
    log.warn("data dir: cannot restrict {} (mode {:o}): {}", p.string(), static_cast<unsigned>(perms), ec.message());
    return;
  }
  log.warn("data dir: {} was mode {:o}, now {:o} (owner only)", p.string(), static_cast<unsigned>(perms),
           static_cast<unsigned>(perms & ~wide));
}

}  // namespace

void prepare_data_dir(const std::string& dir, spdlog::logger& log) {
  std::error_code ec;
  fs::path root(dir);
  if (!fs::exists(root, ec)) {
    fs::create_directories(root, ec);
    if (ec) throw std::runtime_error("node.data_dir " + dir + ": " + ec.message());
    fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) throw std::runtime_error("node.data_dir " + dir + ": " + ec.message());
    return;
  }
  auto st = fs::status(root, ec);
  if (ec || !fs::is_directory(st)) throw std::runtime_error("node.data_dir " + dir + " is not a directory");
  tighten(root, st, log, true);
  // Files left by an older version (0644 sakura.db, journal, spool, firmware) or copied in.
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    auto s = it->symlink_status(ec);
    if (ec || fs::is_symlink(s)) continue;
    tighten(it->path(), s, log);
  }
}

}  // namespace storage
