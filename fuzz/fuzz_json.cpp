// libFuzzer harness for the JSON that http/ reads (http/src/json.cpp): request bodies (POST
// /login's from anyone on the internet, the others from logged-in phones and operators) and the
// /<lockno>/fw reports a lock publishes, all through parse_json(). The input is one such text.
// parse_json() must accept exactly what RapidJSON's own parser accepts within max_json_depth (its
// pre-scan must neither miss a level nor count a bracket inside a string); read_object() must
// either accept an object or answer exactly once with a 4xx whose body is JSON naming the problem;
// the string fields the routes take must come out within their bounds.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "exchange.hpp"
#include "json.hpp"
#include "require.hpp"

using fuzz::require;
namespace detail = http::detail;

namespace {

void check_error_reply(const detail::Response& res) {
  auto status = res.result_int();
  require(status == 400 || status == 415, "a refused body is not answered with 400 or 415");
  rapidjson::Document doc;
  require(!doc.Parse(res.body().data(), res.body().size()).HasParseError() && doc.IsObject() &&
              doc.HasMember("error") && doc["error"].IsString(),
          "the error answer is not a JSON object with an error code");
}

unsigned depth(const rapidjson::Value& v) {
  unsigned d = 0;
  if (v.IsArray())
    for (auto& e : v.GetArray()) d = std::max(d, depth(e));
  if (v.IsObject())
    for (auto& m : v.GetObject()) d = std::max(d, depth(m.value));
  return v.IsArray() || v.IsObject() ? d + 1 : 0;
}

// RapidJSON's operator== is not reflexive for an object with a duplicate key; its text is.
std::string text_of(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// The reference is RapidJSON's recursive parse, safe on the stack for the few KiB run.sh gives
// (-max_len); a longer input replayed by hand (1 MiB of '[') only goes through parse_json.
void check_parse_json(std::string_view text) {
  rapidjson::Document mine, reference;
  bool ok = detail::parse_json(text, mine);
  if (text.size() > 16384) return;
  bool valid = !reference.Parse(text.data(), text.size()).HasParseError();
  if (ok) require(valid && depth(mine) <= detail::max_json_depth, "parse_json accepts beyond its rules");
  // RapidJSON takes a NUL byte for the end of the text (and accepts "{}\0junk"); the pre-scan
  // reads past it, so it may refuse such text for brackets after the NUL. A refusal is harmless.
  bool has_nul = text.find('\0') != std::string_view::npos;
  if (valid && !has_nul && depth(reference) <= detail::max_json_depth)
    require(ok && text_of(mine) == text_of(reference), "parse_json refuses or misreads JSON within its depth");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_parse_json(std::string_view(reinterpret_cast<const char*>(data), size));

  detail::Exchange ex;
  ex.req.method(detail::bhttp::verb::post);
  ex.req.target("/login");
  ex.req.set(detail::bhttp::field::content_type, "application/json");
  ex.req.body().assign(reinterpret_cast<const char*>(data), size);

  int replies = 0;
  std::optional<detail::Response> last;
  detail::Reply reply = [&](detail::Response res) {
    ++replies;
    last = std::move(res);
  };
  rapidjson::Document doc;
  bool ok = detail::read_object(ex, doc, reply);
  if (!ok) {
    require(replies == 1 && last, "a refused body is not answered exactly once");
    check_error_reply(*last);
    return 0;
  }
  require(replies == 0 && doc.IsObject(), "an accepted body is answered or is not an object");

  // The fields the routes read, with their bounds (user_routes.cpp, device_routes.cpp).
  for (auto [name, max_len] :
       {std::pair<const char*, std::size_t>{"code", 128}, {"lockno", 64}, {"bindcode", 64}, {"version", 32}}) {
    std::string out;
    replies = 0;
    if (detail::string_field(doc, name, max_len, out, reply)) {
      require(replies == 0 && !out.empty() && out.size() <= max_len, "a field outside its bounds");
    } else {
      require(replies == 1 && last, "a bad field is not answered exactly once");
      check_error_reply(*last);
    }
  }
  return 0;
}
