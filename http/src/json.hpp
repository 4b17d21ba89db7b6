#pragma once
// JSON in and out of route handlers. Reading answers the client itself (400 naming the problem)
// so a handler only sees well-typed values.
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "exchange.hpp"

namespace http::detail {

class JsonOut {
 public:
  JsonOut() : w_(buf_) {}
  JsonOut& begin_object() { return w_.StartObject(), *this; }
  JsonOut& end_object() { return w_.EndObject(), *this; }
  JsonOut& begin_array() { return w_.StartArray(), *this; }
  JsonOut& end_array() { return w_.EndArray(), *this; }
  JsonOut& key(std::string_view k) {
    w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    return *this;
  }
  JsonOut& str(std::string_view v) {
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
  }
  JsonOut& num(std::int64_t v) { return w_.Int64(v), *this; }
  JsonOut& boolean(bool v) { return w_.Bool(v), *this; }
  JsonOut& null() { return w_.Null(), *this; }
  JsonOut& raw(std::string_view json) {
    w_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return *this;
  }
  std::string take() { return std::string(buf_.GetString(), buf_.GetSize()); }

 private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

// The one way JSON is parsed in http/ (request bodies, /<lockno>/fw reports, WeChat's answers).
// RapidJSON's default parser recurses once per nesting level, so 300,000 '[' overflow the
// calling thread's stack; this refuses nesting deeper than `max_json_depth` before parsing and
// parses iteratively (kParseIterativeFlag) so no input can recurse. False on any error.
constexpr unsigned max_json_depth = 32;
bool parse_json(std::string_view text, rapidjson::Document& doc);

// Parses the body as a JSON object; otherwise answers 400 (or 415 for a non-JSON content type)
// and returns false.
bool read_object(const Exchange& ex, rapidjson::Document& doc, const Reply& reply);
// A required string member of 1..max_len bytes; otherwise answers 400 naming it.
bool string_field(const rapidjson::Value& obj, const char* name, std::size_t max_len, std::string& out,
                  const Reply& reply);

// "YYYY-MM-DD HH:MM:SS" in local time, for people reading history.
std::string format_time(std::int64_t ms);
std::string today();

}  // namespace http::detail
