// The mini-program's routes: POST /login, POST /bind, POST /unbind, GET /history. Each of the
// first three starts from a wx.login code exchanged through code2Session; /history takes the
// MQTT credentials /login handed out (their ACL must cover the lock) or, on the ops bind, the
// admin token.
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "auth/password.hpp"
#include "broker/hooks.hpp"
#include "broker/log_text.hpp"
#include "broker/tcp_transport.hpp"
#include "common/base64.hpp"
#include "credentials.hpp"
#include "json.hpp"
#include "secrets.hpp"

namespace http::detail {

using storage::Db;
using O = SessionResult::Outcome;

namespace {

constexpr std::size_t max_code = 256;
constexpr std::size_t max_bindcode = 64;

Response wechat_error(const SessionResult& r) {
  switch (r.outcome) {
    case O::invalid_code: return error_response(400, "invalid_code", "the login code is invalid");
    case O::code_used: return error_response(400, "code_used", "the login code was already used");
    case O::rate_limited: return error_response(429, "wechat_rate_limited", "WeChat is rate limiting this app");
    case O::blocked: return error_response(403, "user_blocked", "WeChat blocked this user");
    case O::busy: return error_response(503, "wechat_busy", "WeChat is busy, try again later");
    default: return error_response(502, "wechat_unavailable", "WeChat could not be reached");
  }
}

// Exchanges `code` for an OpenID; answers the client itself when WeChat says no.
void exchange_code(const ContextPtr& ctx, const std::string& code, const Reply& reply,
                   std::function<void(std::string openid)> next) {
  ctx->wechat->code2session(code, [ctx, reply, next = std::move(next)](SessionResult r) {
    if (r.outcome != O::ok) {
      ctx->counters.login_failed++;
      return reply(wechat_error(r));
    }
    next(std::move(r.openid));
  });
}

void answer_with_credentials(const ContextPtr& ctx, const storage::Binding& b, const Reply& reply) {
  issue_user_credentials(ctx, b, [ctx, b, reply](storage::Status s, IssuedCredentials c) {
    if (!s.ok) {
      ctx->counters.login_failed++;
      return reply(storage_error("cannot write credentials: " + s.message));
    }
    ctx->counters.login_bound++;
    reply(json_response(200, login_answer(b, c)));
  });
}

// The code from a {"code": ...} body (and the parsed document for other fields).
bool read_code(const Exchange& ex, rapidjson::Document& doc, std::string& code, const Reply& reply) {
  return read_object(ex, doc, reply) && string_field(doc, "code", max_code, code, reply);
}

}  // namespace

void handle_login(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  rapidjson::Document doc;
  std::string code;
  if (!check_rate(*ctx, ex, reply) || !read_code(ex, doc, code, reply)) return;
  exchange_code(ctx, code, reply, [ctx, reply](std::string openid) {
    ctx->store.sql->find_binding_by_user(openid, [ctx, reply](storage::Result<std::optional<storage::Binding>> r) {
      if (!r.ok) return reply(storage_error(r.message));
      if (!r.value) {
        ctx->counters.login_unknown++;
        return reply(json_response(200, R"({"exists":0})"));
      }
      answer_with_credentials(ctx, *r.value, reply);
    });
  });
}

void handle_bind(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  rapidjson::Document doc;
  std::string code, lockno, bindcode;
  if (!check_rate(*ctx, ex, reply) || !read_code(ex, doc, code, reply) ||
      !string_field(doc, "lockno", 64, lockno, reply) || !string_field(doc, "bindcode", max_bindcode, bindcode, reply))
    return;
  if (!valid_lockno(lockno)) return reply(error_response(400, "invalid_field", "lockno is not a lock number"));
  exchange_code(ctx, code, reply, [ctx, reply, lockno, bindcode](std::string openid) {
    ctx->store.kv->hmget(
        Db::lock, "bindcode:" + lockno, {"m", "f"},
        [ctx, reply, lockno, bindcode, openid](storage::Result<std::vector<std::optional<std::string>>> r) {
          if (!r.ok) return reply(storage_error(r.message));
          // Both compared every time, in constant time: the answer says nothing about which was near.
          auto given = sha256_hex(bindcode);
          bool m = r.value.at(0) && auth::secure_equal(given, *r.value[0]);
          bool f = r.value.at(1) && auth::secure_equal(given, *r.value[1]);
          if (!m && !f) return reply(error_response(403, "bad_bindcode", "the binding code does not match this lock"));
          storage::Binding b{openid, lockno, m ? 'm' : 'f', today()};
          ctx->store.sql->bind(b, [ctx, reply, b](storage::Result<storage::BindOutcome> r) {
            if (!r.ok) return reply(storage_error(r.message));
            if (auto refused = bind_refusal(r.value)) return reply(std::move(*refused));
            ctx->counters.binds++;
            ctx->log->info("bound a user to {} as {}", broker::log_text(b.lockno), b.morf);
            answer_with_credentials(ctx, b, reply);
          });
        });
  });
}

void handle_unbind(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  rapidjson::Document doc;
  std::string code;
  if (!check_rate(*ctx, ex, reply) || !read_code(ex, doc, code, reply)) return;
  exchange_code(ctx, code, reply, [ctx, reply](std::string openid) {
    // The code the user bound with stops working: whoever kept it cannot bind again. The
    // operator hands out a new one (POST /devices/<lockno>/bindcodes).
    unbind_user(ctx, openid, [reply](storage::Status s, bool found) {
      if (!s.ok) return reply(storage_error(s.message));
      if (!found) return reply(error_response(404, "not_bound", "this user is not bound to a lock"));
      reply(json_response(200, R"({"unbound":1})"));
    });
  });
}

namespace {

void history_page(const ContextPtr& ctx, const std::string& lockno, std::int64_t before, int limit,
                  const Reply& reply) {
  ctx->store.sql->history_page(lockno, before, limit + 1,
                               [reply, lockno, limit](storage::Result<std::vector<storage::HistoryRow>> r) {
                                 if (!r.ok) return reply(storage_error(r.message));
                                 bool more = static_cast<int>(r.value.size()) > limit;
                                 if (more) r.value.resize(static_cast<std::size_t>(limit));
                                 JsonOut j;
                                 j.begin_object().key("lockno").str(lockno).key("items").begin_array();
                                 for (auto& row : r.value) {
                                   j.begin_object()
                                       .key("id")
                                       .num(row.id)
                                       .key("event")
                                       .str(storage::event_code(row.event))
                                       .key("text")
                                       .str(row.text)
                                       .key("ts")
                                       .num(row.ts_ms)
                                       .key("time")
                                       .str(format_time(row.ts_ms))
                                       .end_object();
                                 }
                                 j.end_array().key("next");
                                 if (more) j.num(r.value.back().id);
                                 else j.null();
                                 reply(json_response(200, j.end_object().take()));
                               });
}

Response history_unauthorized() {
  auto res = error_response(401, "unauthorized", "credentials from /login required");
  res.set(bhttp::field::www_authenticate, "Basic realm=\"sakura\"");
  return res;
}

// Basic key:pwd of /login's credentials, checked by the MQTT authenticator exactly as a CONNECT
// with them from the client's address would be (the record's own hash scheme, slow hashes on its
// bounded pool, its per (user, address) / address / user throttle and metrics), and an ACL that
// lets them subscribe to "/<lockno>/#". Every failure (no or malformed header, unknown key, wrong
// password, throttled, right password without this lock) gets the same 401, so the answer says
// nothing about the password, and a guess here costs what a guess over MQTT costs.
void check_user_credentials(const ContextPtr& ctx, const Exchange& ex, const std::string& lockno, Reply reply,
                            std::function<void()> next) {
  auto refuse = [ctx, reply] {
    ctx->counters.history_refused++;
    reply(history_unauthorized());
  };
  auto auth = ex.req.find(bhttp::field::authorization);
  std::string value = auth == ex.req.end() ? "" : std::string(auth->value());
  if (value.rfind("Basic ", 0) != 0 || !ctx->authenticator) return refuse();
  // Text that is not canonical base64 is refused whole, never decoded up to its first bad byte.
  auto credentials = common::base64_decode(std::string_view(value).substr(6));
  if (!credentials) return refuse();
  const std::string& decoded = *credentials;
  // The key is base64 and may hold no ':'; the password is everything after the first one.
  auto colon = decoded.find(':');
  if (colon == std::string::npos || colon == 0) return refuse();
  broker::AuthRequest request;
  request.client.client_id = "http-history";
  request.client.username = decoded.substr(0, colon);
  request.password = decoded.substr(colon + 1);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(ex.source, ec);
  request.client.address = ec ? ex.source : broker::format_endpoint({address, 0});
  request.client.listener = "http";
  ctx->authenticator->authenticate(
      request, [ctx, topic = "/" + lockno + "/#", refuse, next = std::move(next)](broker::AuthResult r) {
        bool ok = r.code == broker::codec::ConnectReturn::accepted && (!r.acl || r.acl->allow_subscribe(topic));
        if (!ok) return refuse();
        ctx->counters.history_ok++;
        next();
      });
}

}  // namespace

void handle_history(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  auto lockno = query_param(ex.query, "lockno").value_or("");
  if (!valid_lockno(lockno)) return reply(error_response(400, "invalid_field", "lockno is not a lock number"));
  std::int64_t before = 0;
  int limit = 20;
  try {
    if (auto b = query_param(ex.query, "before")) before = std::stoll(*b);
    if (auto l = query_param(ex.query, "limit")) limit = std::stoi(*l);
  } catch (const std::exception&) {
    return reply(error_response(400, "invalid_field", "before and limit must be integers"));
  }
  if (before < 0 || limit < 1 || limit > 100)
    return reply(error_response(400, "invalid_field", "limit must be 1..100 and before >= 0"));
  // Operators read any lock's history with the admin token, on the ops bind only.
  auto auth = ex.req.find(bhttp::field::authorization);
  if (ex.ops && auth != ex.req.end() && auth->value().starts_with("Bearer ")) {
    if (!check_admin(*ctx, ex, reply)) return;
    return history_page(ctx, lockno, before, limit, reply);
  }
  check_user_credentials(ctx, ex, lockno, reply,
                         [ctx, lockno, before, limit, reply] { history_page(ctx, lockno, before, limit, reply); });
}

}  // namespace http::detail
