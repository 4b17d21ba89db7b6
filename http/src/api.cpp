// HttpApi: builds the shared context, routes requests to the handlers and owns the server.
#include "http/api.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/beast/http/verb.hpp>
#include <filesystem>
#include <fstream>

#include "auth/password.hpp"
#include "broker/hooks.hpp"
#include "context.hpp"
#include "fw_observer.hpp"
#include "secrets.hpp"
#include "server.hpp"
#include "storage/lockno.hpp"

namespace http {

using namespace detail;

namespace detail {

bool Context::is_online(const std::string& username) {
  std::lock_guard lock(online_mutex);
  return online.count(username) != 0;
}

bool admin_authorized(const Context& ctx, const Request& req) {
  auto auth = req.find(bhttp::field::authorization);
  std::string_view v =
      auth == req.end() ? std::string_view() : std::string_view(auth->value().data(), auth->value().size());
  constexpr std::string_view bearer = "Bearer ";
  return v.substr(0, bearer.size()) == bearer && auth::secure_equal(v.substr(bearer.size()), ctx.admin_token);
}

Response admin_unauthorized() {
  auto res = error_response(401, "unauthorized", "admin routes need the bearer token (http.admin_token)");
  res.set(bhttp::field::www_authenticate, "Bearer realm=\"sakura\"");
  return res;
}

bool check_admin(const Context& ctx, const Exchange& ex, const Reply& reply) {
  if (ex.ops && admin_authorized(ctx, ex.req)) return true;
  reply(ex.ops ? admin_unauthorized() : error_response(404, "not_found", "no such route"));
  return false;
}

bool check_rate(Context& ctx, const Exchange& ex, const Reply& reply) {
  std::chrono::milliseconds retry{0};
  if (ctx.limiter->allow(ex.source, RateLimiter::Clock::now(), &retry)) return true;
  ctx.counters.rate_limited++;
  auto res = error_response(429, "rate_limited", "too many requests from this address");
  res.set(bhttp::field::retry_after, std::to_string((retry.count() + 999) / 1000));
  reply(std::move(res));
  return false;
}

bool valid_lockno(const std::string& s) { return storage::is_registrable_lockno(s); }

bool valid_version(const std::string& s) {
  if (s.empty() || s.size() > 32 || s == "." || s == "..") return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '.' && c != '-' && c != '_') return false;
  return true;
}

Response storage_error(const std::string& what) {
  (void)what;  // logged by the caller's request line; the client learns only that it failed
  return error_response(503, "storage_unavailable", "the data store is unavailable, try again");
}

}  // namespace detail

namespace {

std::string load_admin_token(const Options& opt, spdlog::logger& log) {
  if (!opt.admin_token.empty()) return opt.admin_token;
  auto path = std::filesystem::path(opt.data_dir) / "admin_token";
  if (std::ifstream in(path); in) {
    std::string token;
    std::getline(in, token);
    if (!token.empty()) return token;
  }
  auto token = hex(random_bytes(24));
  std::filesystem::create_directories(opt.data_dir);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + path.string());
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path.string());
  log.warn("http.admin_token unset: generated one into {}", path.string());
  return token;
}

// Splits "/a/b" after `prefix`: "/devices/X" with prefix "/devices/" gives "X" (no further '/').
bool tail_of(const std::string& path, std::string_view prefix, std::string& tail) {
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  tail = path.substr(prefix.size());
  return tail.find('/') == std::string::npos;
}

enum class RouteId {
  none,
  login,
  bind,
  unbind,
  history,
  firmware_get,
  healthz,
  metrics,
  devices,
  device,
  bindcodes,
  firmware,
  ota,
  admin
};

struct Resolved {
  RouteId id = RouteId::none;
  std::string tail;  // the <lockno> or <version> in the path
  bool method_ok = false;
  bool admin = false;      // needs the bearer token
  bool image = false;      // the body is a firmware image (http.max_firmware_size)
  AdminRoute admin_route;  // RouteId::admin
};

// Which route a request names, from its method and path alone (the header is all there is when
// this decides). nginx forwards the old services' prefixes unchanged (deploy/nginx/sakura.conf:
// /wx/ for the mini-program, /lock/ for devices); both name the same routes. The public bind
// knows only the public routes: an ops or admin route there is "none", under any prefix.
Resolved resolve(bhttp::verb m, std::string_view target, bool ops) {
  using V = bhttp::verb;
  std::string p(target.substr(0, target.find('?')));
  for (std::string_view prefix : {"/wx/", "/lock/"})
    if (p.compare(0, prefix.size(), prefix) == 0) {
      p.erase(0, prefix.size() - 1);
      break;
    }
  Resolved r;
  auto is = [&r](RouteId id, bool method_ok, bool admin = false) {
    r.id = id;
    r.method_ok = method_ok;
    r.admin = admin;
    return r;
  };
  if (p == "/login") return is(RouteId::login, m == V::post);
  if (p == "/bind") return is(RouteId::bind, m == V::post);
  if (p == "/unbind") return is(RouteId::unbind, m == V::post);
  if (p == "/history") return is(RouteId::history, m == V::get);
  if (tail_of(p, "/firmware/", r.tail)) return is(RouteId::firmware_get, m == V::get || m == V::head);
  if (!ops) return r;
  if (p == "/healthz") return is(RouteId::healthz, m == V::get);
  if (p == "/metrics") return is(RouteId::metrics, m == V::get);
  if (p == "/devices") return is(RouteId::devices, m == V::post || m == V::get, true);
  constexpr std::string_view codes = "/bindcodes";
  if (p.size() > codes.size() && p.compare(p.size() - codes.size(), codes.size(), codes) == 0 &&
      tail_of(p.substr(0, p.size() - codes.size()), "/devices/", r.tail))
    return is(RouteId::bindcodes, m == V::post, true);
  if (tail_of(p, "/devices/", r.tail)) return is(RouteId::device, m == V::get || m == V::delete_, true);
  if (p == "/firmware") {
    r.image = m == V::post;
    return is(RouteId::firmware, m == V::post || m == V::get, true);
  }
  if (p == "/ota") return is(RouteId::ota, m == V::post, true);
  if (auto a = resolve_admin(m, p); a.id != AdminRoute::none) {
    r.admin_route = a;
    return is(RouteId::admin, a.method_ok, true);
  }
  return r;
}

// Before the body: unknown routes, wrong methods and missing admin tokens are answered on the
// header, so a 30 MB upload without the token costs its sender the upload, not us the read.
// An admitted image goes to a temporary file in chunks as it arrives (image_upload_sink), never
// whole into memory; a bad version is refused before any of it is read.
ServerSettings::Admission admit(const ContextPtr& ctx, const Request& req, bool ops) {
  ServerSettings::Admission a;
  std::string_view target(req.target().data(), req.target().size());
  auto r = resolve(req.method(), target, ops);
  if (r.id == RouteId::none) a.refuse = error_response(404, "not_found", "no such route");
  else if (!r.method_ok) a.refuse = error_response(405, "method_not_allowed", "method not allowed here");
  else if (r.admin && !admin_authorized(*ctx, req)) a.refuse = admin_unauthorized();
  a.body_limit = r.image ? ctx->opt.max_firmware : ctx->opt.max_body;
  if (!r.image || a.refuse) return a;
  auto q = target.find('?');
  auto version = query_param(q == std::string_view::npos ? "" : target.substr(q + 1), "version");
  if (!valid_version(version.value_or(""))) a.refuse = invalid_version();
  else a.sink = image_upload_sink(ctx);
  return a;
}

void route(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  using V = bhttp::verb;
  const auto m = ex.req.method();
  auto r = resolve(m, ex.path, ex.ops);
  // admit() refused everything else before the body was read; the handlers check again.
  switch (r.id) {
    case RouteId::login: return handle_login(ctx, ex, reply);
    case RouteId::bind: return handle_bind(ctx, ex, reply);
    case RouteId::unbind: return handle_unbind(ctx, ex, reply);
    case RouteId::history: return handle_history(ctx, ex, reply);
    case RouteId::firmware_get: return handle_firmware_download(ctx, ex, r.tail, reply);
    case RouteId::healthz: return handle_healthz(ctx, reply);
    case RouteId::metrics: return handle_metrics(ctx, reply);
    case RouteId::devices:
      return m == V::post ? handle_device_register(ctx, ex, reply) : handle_device_list(ctx, ex, reply);
    case RouteId::device:
      if (!check_admin(*ctx, ex, reply)) return;
      return m == V::get ? handle_device_get(ctx, r.tail, reply) : handle_device_delete(ctx, r.tail, reply);
    case RouteId::bindcodes: return handle_bindcodes(ctx, ex, r.tail, reply);
    case RouteId::firmware:
      if (m == V::post) return handle_firmware_upload(ctx, ex, reply);
      return check_admin(*ctx, ex, reply) ? handle_firmware_list(ctx, reply) : void();
    case RouteId::ota: return handle_ota(ctx, ex, reply);
    case RouteId::admin: return handle_admin(ctx, ex, r.admin_route, reply);
    case RouteId::none: break;
  }
  reply(error_response(404, "not_found", "no such route"));
}

}  // namespace

struct HttpApi::Impl {
  ContextPtr ctx;
  std::unique_ptr<Server> server;      // the public bind; also runs the WeChat client
  std::unique_ptr<Server> ops_server;  // the ops bind
  std::shared_ptr<FwObserver> observer;
  std::shared_ptr<std::atomic<bool>> running = std::make_shared<std::atomic<bool>>(false);
};

HttpApi::HttpApi(Options options, storage::Storage storage, broker::BrokerControl& control, const broker::Stats* stats,
                 std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_shared<Impl>()) {
  auto ctx = std::make_shared<Context>();
  ctx->opt = std::move(options);
  ctx->store = std::move(storage);
  ctx->control = &control;
  ctx->stats = stats;
  ctx->log = std::move(log);
  ctx->limiter = std::make_unique<RateLimiter>(ctx->opt.rate_per_minute, ctx->opt.rate_burst);
  ctx->admin_token = load_admin_token(ctx->opt, *ctx->log);
  ctx->firmware_dir = (std::filesystem::path(ctx->opt.data_dir) / "firmware").string();
  ctx->files = std::make_unique<boost::asio::thread_pool>(1);
  impl_->ctx = ctx;

  auto settings = [&](bool ops) {
    ServerSettings s;
    s.read_timeout = ctx->opt.read_timeout;
    s.idle_timeout = ctx->opt.idle_timeout;
    s.trusted_proxies = ctx->opt.trusted_proxies;
    s.connections = ops ? ctx->opt.ops_connections : ctx->opt.connections;
    s.listener_name = ops ? "http_ops" : "http";
    s.uncounted = ctx->opt.uncounted;
    s.admit = [ctx, ops](const Request& req) { return admit(ctx, req, ops); };
    s.handler = [ctx, ops](Exchange ex, Reply reply) {
      ex.ops = ops;
      route(ctx, ex, std::move(reply));
    };
    s.on_response = [ctx](unsigned status) {
      if (status >= 100 && status < 600) ctx->counters.responses[status / 100]++;
    };
    return s;
  };
  impl_->server = std::make_unique<Server>(settings(false), ctx->log);
  impl_->ops_server = std::make_unique<Server>(settings(true), ctx->log);
  // The WeChat client shares the server's io_context: its work is asynchronous too.
  WechatSettings w{ctx->opt.wechat_url,     ctx->opt.wechat_appid,   ctx->opt.wechat_secret,
                   ctx->opt.wechat_timeout, ctx->opt.wechat_retries, ctx->opt.wechat_cafile};
  ctx->wechat = std::make_unique<WechatClient>(impl_->server->io(), std::move(w), ctx->log);
  impl_->observer = std::make_shared<FwObserver>(ctx);
}

HttpApi::~HttpApi() { stop(); }

std::shared_ptr<broker::Observer> HttpApi::observer() { return impl_->observer; }
void HttpApi::add_metrics(MetricsSource source) { impl_->ctx->metrics.push_back(std::move(source)); }
void HttpApi::set_credentials(std::shared_ptr<auth::CredentialStore> store,
                              std::shared_ptr<auth::CredentialKeeper> keeper) {
  impl_->ctx->credentials = std::move(store);
  impl_->ctx->keeper = std::move(keeper);
}
void HttpApi::set_authenticator(std::shared_ptr<broker::Authenticator> authenticator) {
  impl_->ctx->authenticator = std::move(authenticator);
}
void HttpApi::set_broker_admin(BrokerAdmin admin) { impl_->ctx->broker_admin = std::move(admin); }

void HttpApi::call(std::string method, std::string target, std::string body,
                   std::function<void(unsigned, std::string)> done) {
  auto& ctx = impl_->ctx;
  if (!ctx->credentials || !ctx->keeper) throw std::logic_error("http: set_credentials() before call()");
  Exchange ex;
  ex.req.method(bhttp::string_to_verb(method));
  ex.req.target(target);
  ex.req.set(bhttp::field::authorization, "Bearer " + ctx->admin_token);
  ex.req.set(bhttp::field::content_type, "application/json");
  ex.req.set(bhttp::field::host, "localhost");
  ex.req.body() = std::move(body);
  ex.req.prepare_payload();
  ex.source = "127.0.0.1";
  auto q = target.find('?');
  ex.path = target.substr(0, q);
  if (q != std::string::npos) ex.query = target.substr(q + 1);
  ex.ops = true;
  auto answer = [done = std::move(done)](Response res) { done(res.result_int(), std::move(res.body())); };
  auto a = admit(ctx, ex.req, true);
  if (a.refuse) return answer(std::move(*a.refuse));
  if (ex.req.body().size() > a.body_limit)
    return answer(error_response(413, "too_large", "the body is over this route's limit"));
  if (!a.sink) return route(ctx, ex, std::move(answer));
  // An image goes to its sink as the server hands it over, here in one piece (the caller holds it
  // whole anyway), and reaches the route without its body.
  auto held = std::make_shared<Exchange>(std::move(ex));
  auto sink = a.sink;
  sink->write(held->req.body().data(), held->req.body().size(), [ctx, held, sink, answer](bool ok) {
    if (!ok) return answer(error_response(500, "storage_error", "cannot store the image"));
    held->req.body().clear();
    held->sink = sink;
    route(ctx, *held, answer);
  });
}

void HttpApi::set_listeners(std::function<std::vector<std::pair<std::string, std::uint16_t>>()> ports) {
  impl_->ctx->listeners = std::move(ports);
}

void HttpApi::start() {
  auto& ctx = impl_->ctx;
  if (!ctx->credentials || !ctx->keeper) throw std::logic_error("http: set_credentials() before start()");
  // The public server runs even without a public bind: the WeChat client lives on its io_context.
  impl_->server->start(ctx->opt.bind, ctx->opt.threads);
  if (ctx->opt.ops_bind) impl_->ops_server->start(ctx->opt.ops_bind, 1);
  *impl_->running = true;
  if (ctx->opt.bind) ctx->log->info("http: listening on port {}", impl_->server->port());
  if (ctx->opt.ops_bind) ctx->log->info("http: operators' routes on port {}", impl_->ops_server->port());
}

void HttpApi::stop() {
  if (!impl_) return;
  *impl_->running = false;
  impl_->server->stop();
  impl_->ops_server->stop();
  if (impl_->ctx->files) impl_->ctx->files->join();
}

std::uint16_t HttpApi::port() const { return impl_->ctx->opt.bind ? impl_->server->port() : 0; }
std::uint16_t HttpApi::ops_port() const { return impl_->ctx->opt.ops_bind ? impl_->ops_server->port() : 0; }

}  // namespace http
