#pragma once
// One HTTP request as a route handler sees it, and the ways to answer it. A handler answers by
// calling the Reply exactly once, from any thread: the session posts it back to its strand.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace http::detail {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Reply = std::function<void(Response)>;

struct Exchange {
  Request req;
  std::string source;  // client address: the peer, or X-Forwarded-For from a trusted proxy
  std::string path;    // target without the query, not decoded
  std::string query;   // after '?', not decoded
  bool ops = false;    // arrived on the operators' bind (http.ops_bind)
};

Response json_response(unsigned status, std::string body);
// {"error": code, "message": message}
Response error_response(unsigned status, std::string_view code, std::string_view message);
Response text_response(unsigned status, std::string body, std::string_view content_type);

// The decoded value of `name` in an application/x-www-form-urlencoded query; nullopt if absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name);
std::string url_encode(std::string_view s);

}  // namespace http::detail
