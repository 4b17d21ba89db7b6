#include "json.hpp"

#include <ctime>

#include "common/clock.hpp"

namespace http::detail {

namespace {
// Whether no array or object in `text` is nested deeper than `max_depth`: one pass that skips
// strings, so brackets inside them do not count. Malformed text is left to the parser.
bool nesting_within(std::string_view text, unsigned max_depth) {
  unsigned depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}
}  // namespace

bool parse_json(std::string_view text, rapidjson::Document& doc) {
  if (!nesting_within(text, max_json_depth)) return false;
  return !doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size()).HasParseError();
}

bool read_object(const Exchange& ex, rapidjson::Document& doc, const Reply& reply) {
  auto ct = ex.req.find(bhttp::field::content_type);
  if (ct != ex.req.end() && ct->value().find("json") == boost::string_view::npos &&
      ct->value().find("text/plain") == boost::string_view::npos) {
    reply(error_response(415, "unsupported_media_type", "the body must be JSON"));
    return false;
  }
  const auto& body = ex.req.body();
  if (!parse_json(body, doc)) {
    reply(error_response(400, "malformed_json", "the body is not valid JSON"));
    return false;
  }
  if (!doc.IsObject()) {
    reply(error_response(400, "malformed_json", "the body must be a JSON object"));
    return false;
  }
  return true;
}

bool string_field(const rapidjson::Value& obj, const char* name, std::size_t max_len, std::string& out,
                  const Reply& reply) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) {
    reply(error_response(400, "missing_field", std::string("missing field: ") + name));
    return false;
  }
  if (!it->value.IsString()) {
    reply(error_response(400, "invalid_field", std::string(name) + " must be a string"));
    return false;
  }
  auto len = it->value.GetStringLength();
  if (len == 0 || len > max_len) {
    reply(error_response(400, "invalid_field",
                         std::string(name) + " must have 1 to " + std::to_string(max_len) + " bytes"));
    return false;
  }
  out.assign(it->value.GetString(), len);
  return true;
}

namespace {
std::string strftime_local(std::time_t t, const char* format) {
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  auto n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}
}  // namespace

std::string format_time(std::int64_t ms) {
  return strftime_local(static_cast<std::time_t>(ms / 1000), "%Y-%m-%d %H:%M:%S");
}

std::string today() { return strftime_local(std::time(nullptr), "%Y-%m-%d"); }

}  // namespace http::detail
