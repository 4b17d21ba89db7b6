// libFuzzer harness for the JSON bodies of HTTP requests (http/src/json.cpp): POST /login's body
// comes from anyone on the internet, the others from logged-in phones and operators. The input is
// the body of a request with a JSON content type. read_object() must either accept an object or
// answer exactly once with a 4xx whose body is JSON naming the problem; the string fields the
// routes take must come out within their bounds. ASan also catches a parser that runs off its
// stack on deep nesting.
#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/document.h>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
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
  for (auto [name, max_len] : {std::pair<const char*, std::size_t>{"code", 128}, {"lockno", 64},
                               {"bindcode", 64}, {"version", 32}}) {
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
