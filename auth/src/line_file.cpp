#include "line_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace auth::detail {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void for_each_line(std::string_view text, const std::function<void(const std::vector<std::string>&, int)>& fn) {
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream split(line);
    std::vector<std::string> words;
    for (std::string w; split >> w;) words.push_back(std::move(w));
    if (words.empty() || words[0][0] == '#') continue;
    fn(words, number);
  }
}

void line_error(const std::string& source, int line, const std::string& why) {
  throw std::runtime_error(source + " line " + std::to_string(line) + ": " + why);
}

}  // namespace auth::detail
