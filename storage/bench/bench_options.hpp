#pragma once
// Command-line parsing shared by the storage benchmarks: `--key value` pairs over a map of
// defaults; an unknown key is an error.
#include <cstdio>
#include <map>
#include <string>

namespace storage_bench {

inline bool parse_options(int argc, char** argv, std::map<std::string, std::string>& opt) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || !opt.count(key.substr(2))) {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return false;
    }
    opt[key.substr(2)] = argv[i + 1];
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "option %s has no value\n", argv[argc - 1]);
    return false;
  }
  return true;
}

}  // namespace storage_bench
