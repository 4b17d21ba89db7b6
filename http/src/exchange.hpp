#pragma once
// One HTTP request as a route handler sees it, and the ways to answer it. A handler answers by
// calling the Reply exactly once, from any thread: the session posts it back to its strand.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace http::detail {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Reply = std::function<void(Response)>;

// A response body streamed from an open file in bounded chunks (http/src/server.cpp holds one
// chunk per connection), instead of a string holding it whole: a firmware image downloaded by N
// clients at once costs N chunks, not N images. The reads run on `disk`, never on a session strand.
struct FileSlice {
  std::shared_ptr<int> fd;  // open for reading; closed when the last copy goes
  std::uint64_t first = 0, length = 0;
  boost::asio::any_io_executor disk;
  std::function<void(std::uint64_t)> on_chunk;  // bytes of each chunk as it is handed to the socket
};
// Answers with `head` (status and fields; its body is ignored) and the slice as the body.
using FileReply = std::function<void(Response head, FileSlice body)>;

// Where a request body goes chunk by chunk instead of into the request's string, chosen on the
// header for routes whose bodies are large (a firmware image). The session calls write() once per
// chunk and the next only after `done`; `data` stays valid until then. done(false) ends the
// request with a 500. `done` may be called from any thread.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual void write(const char* data, std::size_t size, std::function<void(bool ok)> done) = 0;
};

struct Exchange {
  Request req;  // its body is empty when `sink` took it
  std::shared_ptr<BodySink> sink;
  FileReply reply_file;  // the alternative to Reply for a body read from a file
  std::string source;    // client address: the peer, or X-Forwarded-For from a trusted proxy
  std::string path;      // target without the query, not decoded
  std::string query;     // after '?', not decoded
  bool ops = false;      // arrived on the operators' bind (http.ops_bind)
};

Response json_response(unsigned status, std::string body);
// {"error": code, "message": message}
Response error_response(unsigned status, std::string_view code, std::string_view message);
Response text_response(unsigned status, std::string body, std::string_view content_type);

// The decoded value of `name` in an application/x-www-form-urlencoded query; nullopt if absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name);
std::string url_encode(std::string_view s);

}  // namespace http::detail
