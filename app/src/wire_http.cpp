#include "wire_http.hpp"

#include "auth/credential_keeper.hpp"
#include "broker/server.hpp"
#include "http/api.hpp"
#include "wire_listeners.hpp"

namespace app {

http::Options http_options(const Config& c) {
  http::Options o;
  if (c.enabled("http.bind")) o.bind = broker::parse_endpoint(c.str("http.bind"));
  if (c.enabled("http.ops_bind")) o.ops_bind = broker::parse_endpoint(c.str("http.ops_bind"));
  o.threads = static_cast<unsigned>(c.integer("http.threads"));
  o.data_dir = c.str("node.data_dir");
  o.admin_token = c.str("http.admin_token");
  o.max_body = c.size("http.max_body");
  o.max_firmware = c.size("http.max_firmware_size");
  o.read_timeout = c.duration("http.read_timeout");
  o.idle_timeout = c.duration("http.idle_timeout");
  o.rate_per_minute = static_cast<int>(c.integer("http.rate_per_minute"));
  o.rate_burst = static_cast<int>(c.integer("http.rate_burst"));
  o.trusted_proxies = trusted_proxies(c, "http.trusted_proxies");
  o.uncounted = uncounted_addresses(c, "http.trusted_proxies");
  o.public_url = c.str("http.public_url");
  o.wechat_url = c.str("wechat.code2session_url");
  o.wechat_appid = c.str("wechat.appid");
  o.wechat_secret = c.str("wechat.secret");
  o.wechat_timeout = c.duration("wechat.timeout");
  o.wechat_retries = static_cast<int>(c.integer("wechat.retries"));
  o.wechat_cafile = c.str("wechat.cafile");
  o.credential_ttl = c.duration("auth.credential_ttl");
  return o;
}

std::shared_ptr<http::HttpApi> wire_http(broker::Server& server, const Config& c, const Logging& logging,
                                         const storage::Storage& storage,
                                         std::shared_ptr<auth::CredentialKeeper> keeper,
                                         std::shared_ptr<broker::Authenticator> authenticator,
                                         HttpConnectionLimiters connections,
                                         std::vector<std::function<void(std::string&)>> metrics) {
  if (!c.enabled("http.bind") && !c.enabled("http.ops_bind")) return nullptr;
  auto o = http_options(c);
  o.connections = std::move(connections.public_bind);
  o.ops_connections = std::move(connections.ops_bind);
  std::shared_ptr<http::HttpApi> api;
  try {
    api = std::make_shared<http::HttpApi>(std::move(o), storage, server.broker(), &server.broker().stats(),
                                          logging.get("http"));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  api->set_credentials(keeper->store(), keeper);
  auto& b = server.broker();
  api->set_broker_admin({[&b](std::size_t limit) { return b.sessions_info(limit); },
                         [&b](const std::string& id) { return b.session_info(id); }, [&b] { return b.session_count(); },
                         [&b](const std::string& id) { b.disconnect_client(id); }});
  api->set_authenticator(std::move(authenticator));
  api->set_listeners([&server] { return server.ports(); });
  server.broker().add_observer(api->observer());
  for (auto& m : metrics) api->add_metrics(std::move(m));
  api->start();
  return api;
}

}  // namespace app
