#pragma once
// Command-line parsing shared by the storage benchmarks, on Boost.Program_options: --help prints
// every option with its default; an unknown option, a missing value or a value out of its set is
// a usage error (exit 2 with the reason on stderr), never a silent fallback to a default.
#include <boost/program_options.hpp>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace storage_bench {

namespace po = boost::program_options;

// A notifier refusing any value outside `choices`.
inline auto one_of(const char* option, std::initializer_list<const char*> choices) {
  return [option, allowed = std::vector<std::string>(choices.begin(), choices.end())](const std::string& v) {
    std::string names;
    for (auto& c : allowed) {
      if (v == c) return;
      names += (names.empty() ? "" : ", ") + c;
    }
    throw po::error(std::string("--") + option + ": '" + v + "' is not one of " + names);
  };
}

// A notifier refusing numbers outside [lo, hi].
inline auto in_range(const char* option, long lo, long hi) {
  return [option, lo, hi](long v) {
    if (v < lo || v > hi)
      throw po::error(std::string("--") + option + ": " + std::to_string(v) + " is not in " + std::to_string(lo) +
                      ".." + std::to_string(hi));
  };
}

// Parses argv into `vm` (adding --help to `desc`). Answers the exit code when the program should
// stop there: 0 after --help, 2 after a usage error.
inline std::optional<int> parse(int argc, char** argv, const char* program, po::options_description& desc,
                                po::variables_map& vm) {
  desc.add_options()("help,h", "print this help and exit");
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << "usage: " << program << " [options]\n" << desc;
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << " (see --help)\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace storage_bench
