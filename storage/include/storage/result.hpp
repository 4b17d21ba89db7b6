#pragma once
// Errors cross the asynchronous boundary as values: a callback receives a Status (or a Result
// carrying a value) and never an exception.
#include <string>
#include <utility>

namespace storage {

struct Status {
  bool ok = true;
  std::string message;  // empty when ok; a short human-readable reason otherwise (never secrets)

  static Status success() { return {}; }
  static Status failure(std::string why) { return {false, std::move(why)}; }
  explicit operator bool() const { return ok; }
};

template <class T>
struct Result : Status {
  T value{};

  static Result success(T v) {
    Result r;
    r.value = std::move(v);
    return r;
  }
  static Result failure(std::string why) {
    Result r;
    r.ok = false;
    r.message = std::move(why);
    return r;
  }
};

}  // namespace storage
