#pragma once
// The line-oriented files of auth/ (acl_file, users_file): whitespace-separated words, '#'
// comments, errors that name the file and the line.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace auth::detail {

std::string read_text_file(const std::string& path);  // throws std::runtime_error

// Calls `fn(words, line_number)` for every line that is neither blank nor a comment.
void for_each_line(std::string_view text, const std::function<void(const std::vector<std::string>&, int)>& fn);

[[noreturn]] void line_error(const std::string& source, int line, const std::string& why);

}  // namespace auth::detail
