#pragma once
// Small POSIX file helpers shared by the storage/ files that write their own formats.
#include <string>
#include <string_view>

namespace storage::detail {

// write(2) until all of `data` is written, retrying EINTR. False with errno set on failure.
bool write_all(int fd, std::string_view data);
// fsync of a directory, so a rename or a file creation in it survives a power cut.
bool sync_dir(const std::string& dir);

}  // namespace storage::detail
