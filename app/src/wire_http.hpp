#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "logging.hpp"

namespace auth {
class CredentialKeeper;
}
namespace broker {
class Authenticator;
class ConnectionLimiter;
class Server;
}  // namespace broker
namespace http {
class HttpApi;
struct Options;
}  // namespace http
namespace storage {
struct Storage;
}

namespace app {

// The public bind's limiter and the ops bind's own.
struct HttpConnectionLimiters {
  std::shared_ptr<broker::ConnectionLimiter> public_bind;
  std::shared_ptr<broker::ConnectionLimiter> ops_bind;
};

// The HTTP API's settings (http.*, wechat.*, node.data_dir, auth.credential_ttl), without the
// connection limiter.
http::Options http_options(const Config& config);

// Builds and starts the HTTP API from the http.* and wechat.* settings (null when http.bind and
// http.ops_bind are off), installs its observer on the broker, issues credentials through
// `keeper`'s store and revokes through `keeper`, and gives the admin routes the broker's sessions.
// /history's credentials are checked by `authenticator` (the MQTT one) when given. `metrics`
// are other modules' /metrics sources (each appends Prometheus text), installed before it starts.
// The caller keeps the API alive and stops it before the broker.
std::shared_ptr<http::HttpApi> wire_http(broker::Server& server, const Config& config, const Logging& logging,
                                         const storage::Storage& storage,
                                         std::shared_ptr<auth::CredentialKeeper> keeper,
                                         std::shared_ptr<broker::Authenticator> authenticator,
                                         HttpConnectionLimiters connections,
                                         std::vector<std::function<void(std::string&)>> metrics = {});

}  // namespace app
