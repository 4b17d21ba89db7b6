// Operators' routes behind sakura-ctl (docs/api.md, "Admin routes"), on the ops bind with the
// admin token only: MQTT users and ACL rows, a lock's new password, bindings, the credentials
// issued to a WeChat user, connected clients and sessions, a lock's status and last events.
// Names that may hold '/' or any byte (usernames, base64 keys, client ids, OpenIDs) travel as
// query parameters; lock numbers in the path.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "auth/credential_keeper.hpp"
#include "auth/credential_store.hpp"
#include "broker/hooks.hpp"
#include "broker/log_text.hpp"
#include "common/base64.hpp"
#include "credentials.hpp"
#include "json.hpp"
#include "secrets.hpp"

namespace http::detail {

using storage::Db;

namespace {

// Usernames, filters and client ids an operator types: long enough for any real one, short
// enough that a stray value cannot make the store or the answer large.
constexpr std::size_t kMaxName = 1024;

// A required, non-empty query parameter of at most kMaxName bytes; otherwise answers 400.
bool param(const Exchange& ex, const char* name, std::string& out, const Reply& reply) {
  auto v = query_param(ex.query, name);
  if (!v || v->empty() || v->size() > kMaxName) {
    reply(error_response(400, "invalid_field", std::string(name) + " must be 1..1024 bytes"));
    return false;
  }
  out = std::move(*v);
  return true;
}

// ?limit= within 1..max (default `fallback`); otherwise answers 400.
bool limit_param(const Exchange& ex, int fallback, int max, int& out, const Reply& reply) {
  out = fallback;
  if (auto l = query_param(ex.query, "limit")) {
    try {
      std::size_t used = 0;
      out = std::stoi(*l, &used);
      if (used != l->size()) out = 0;
    } catch (const std::exception&) {
      out = 0;
    }
  }
  if (out >= 1 && out <= max) return true;
  reply(error_response(400, "invalid_field", "limit must be 1.." + std::to_string(max)));
  return false;
}

void write_fields(JsonOut& j, const storage::Fields& fields) {
  j.begin_object();
  for (auto& [k, v] : fields) j.key(k).str(v);
  j.end_object();
}

Response no_broker() { return error_response(503, "no_broker", "this needs a running broker (sakura-ctl is offline)"); }

// --- users and ACL rows

void users_list(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  int limit = 0;
  if (!limit_param(ex, 100, static_cast<int>(storage::kMaxScanCount), limit, reply)) return;
  auto cursor = query_param(ex.query, "cursor").value_or("");
  ctx->credentials->list(cursor, static_cast<std::size_t>(limit), [reply](storage::Result<auth::UserPage> r) {
    if (!r.ok) return reply(storage_error(r.message));
    JsonOut j;
    j.begin_object().key("items").begin_array();
    for (auto& u : r.value.usernames) j.begin_object().key("username").str(u).end_object();
    j.end_array().key("next");
    if (r.value.cursor.empty()) j.null();
    else j.str(r.value.cursor);
    reply(json_response(200, j.end_object().take()));
  });
}

void user_get(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  std::string name;
  if (!param(ex, "name", name, reply)) return;
  ctx->credentials->read(name, [reply](storage::Result<std::optional<auth::CredentialInfo>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such user"));
    JsonOut j;
    j.begin_object().key("username").str(r.value->username).key("fields");
    write_fields(j, r.value->fields);
    j.key("acl");
    write_fields(j, r.value->acl);
    j.key("expires_in_ms").num(r.value->expires_in_ms);
    reply(json_response(200, j.end_object().take()));
  });
}

// PUT /user?name=  {"password"?: str, "superuser"?: bool, "ttl"?: seconds}: writes (or replaces)
// the record; a generated password is in the answer, once.
void user_put(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  auth::NewCredential c;
  if (!param(ex, "name", c.username, reply)) return;
  rapidjson::Document doc;
  if (!read_object(ex, doc, reply)) return;
  bool generated = !doc.HasMember("password");
  if (!generated && !string_field(doc, "password", 256, c.password, reply)) return;
  if (auto it = doc.FindMember("superuser"); it != doc.MemberEnd()) {
    if (!it->value.IsBool()) return reply(error_response(400, "invalid_field", "superuser must be true or false"));
    c.superuser = it->value.GetBool();
  }
  if (auto it = doc.FindMember("ttl"); it != doc.MemberEnd()) {
    if (!it->value.IsInt64() || it->value.GetInt64() < 0 || it->value.GetInt64() > 10LL * 365 * 86400)
      return reply(error_response(400, "invalid_field", "ttl must be 0..315360000 seconds"));
    c.ttl = std::chrono::seconds(it->value.GetInt64());
  }
  if (generated) c.password = auth::random_hex(12);
  auto password = generated ? c.password : std::string();
  auto name = c.username;
  boost::asio::post(*ctx->files, [ctx, reply, c = std::move(c), name, password]() mutable {
    ctx->credentials->issue(std::move(c), [ctx, reply, name, password](storage::Status s) {
      if (!s.ok) return reply(storage_error(s.message));
      ctx->log->info("admin: user={} written", broker::log_text(name));
      JsonOut j;
      j.begin_object().key("username").str(name);
      if (!password.empty()) j.key("password").str(password);
      reply(json_response(201, j.end_object().take()));
    });
  });
}

void user_delete(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  std::string name;
  if (!param(ex, "name", name, reply)) return;
  ctx->keeper->revoke(name, [ctx, reply, name](storage::Result<bool> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such user"));
    ctx->log->info("admin: user={} revoked", broker::log_text(name));
    reply(json_response(200, R"({"deleted":1})"));
  });
}

void acl_put(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  std::string name, filter, access;
  if (!param(ex, "name", name, reply) || !param(ex, "filter", filter, reply) || !param(ex, "access", access, reply))
    return;
  if (access != "1" && access != "2" && access != "3")
    return reply(error_response(400, "invalid_field", "access must be 1 (subscribe), 2 (publish) or 3 (both)"));
  ctx->credentials->set_acl(name, filter, access[0] - '0', [reply](storage::Status s) {
    if (!s.ok) return reply(storage_error(s.message));
    reply(json_response(200, R"({"written":1})"));
  });
}

void acl_delete(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  std::string name, filter;
  if (!param(ex, "name", name, reply) || !param(ex, "filter", filter, reply)) return;
  ctx->credentials->remove_acl(name, filter, [reply](storage::Result<bool> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such ACL row"));
    reply(json_response(200, R"({"deleted":1})"));
  });
}

// --- bindings

void write_binding(JsonOut& j, const storage::Binding& b) {
  j.begin_object()
      .key("userno")
      .str(b.userno)
      .key("lockno")
      .str(b.lockno)
      .key("morf")
      .str(std::string(1, b.morf))
      .key("adate")
      .str(b.adate)
      .end_object();
}

void bindings_list(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  auto answer = [reply](const std::vector<storage::Binding>& rows) {
    JsonOut j;
    j.begin_object().key("items").begin_array();
    for (auto& b : rows) write_binding(j, b);
    reply(json_response(200, j.end_array().end_object().take()));
  };
  if (auto lockno = query_param(ex.query, "lockno")) {
    if (!valid_lockno(*lockno)) return reply(error_response(400, "invalid_field", "lockno is not a lock number"));
    return ctx->store.sql->find_bindings_by_lock(*lockno,
                                                 [reply, answer](storage::Result<std::vector<storage::Binding>> r) {
                                                   if (!r.ok) return reply(storage_error(r.message));
                                                   answer(r.value);
                                                 });
  }
  std::string userno;
  if (!param(ex, "userno", userno, reply)) return;
  ctx->store.sql->find_binding_by_user(userno, [reply, answer](storage::Result<std::optional<storage::Binding>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    answer(r.value ? std::vector<storage::Binding>{*r.value} : std::vector<storage::Binding>{});
  });
}

void binding_post(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  rapidjson::Document doc;
  std::string userno, lockno, morf;
  if (!read_object(ex, doc, reply) || !string_field(doc, "userno", 128, userno, reply) ||
      !string_field(doc, "lockno", 64, lockno, reply) || !string_field(doc, "morf", 1, morf, reply))
    return;
  if (!valid_lockno(lockno)) return reply(error_response(400, "invalid_field", "lockno is not a lock number"));
  if (morf != "m" && morf != "f") return reply(error_response(400, "invalid_field", "morf must be m or f"));
  storage::Binding b{userno, lockno, morf[0], today()};
  ctx->store.sql->bind(b, [ctx, reply, b](storage::Result<storage::BindOutcome> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (auto refused = bind_refusal(r.value)) return reply(std::move(*refused));
    ctx->counters.binds++;
    ctx->log->info("admin: bound a user to {} as {}", broker::log_text(b.lockno), b.morf);
    JsonOut j;
    write_binding(j, b);
    reply(json_response(201, j.take()));
  });
}

void binding_delete(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  std::string userno;
  if (!param(ex, "userno", userno, reply)) return;
  unbind_user(ctx, userno, [ctx, reply](storage::Status s, bool found) {
    if (!s.ok) return reply(storage_error(s.message));
    if (!found) return reply(error_response(404, "not_bound", "this user is not bound to a lock"));
    reply(json_response(200, R"({"unbound":1})"));
  });
}

// --- credentials issued to WeChat users

void credentials_list(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  std::string userno;
  if (!param(ex, "userno", userno, reply)) return;
  ctx->credentials->issued_to(userno, [reply](storage::Result<std::vector<auth::IssuedKey>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    JsonOut j;
    j.begin_object().key("items").begin_array();
    for (auto& k : r.value)
      j.begin_object()
          .key("key")
          .str(k.username)
          .key("issued")
          .num(k.issued_ms)
          .key("expires_in_ms")
          .num(k.expires_in_ms)
          .end_object();
    reply(json_response(200, j.end_array().end_object().take()));
  });
}

void credential_delete(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  std::string key;
  if (!param(ex, "key", key, reply)) return;
  ctx->keeper->revoke(key, [reply](storage::Result<bool> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such credential"));
    reply(json_response(200, R"({"revoked":1})"));
  });
}

// --- clients and sessions of the running broker

void clients_list(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  int limit = 0;
  if (!limit_param(ex, 1000, 100000, limit, reply)) return;
  auto only = query_param(ex.query, "username");
  JsonOut j;
  j.begin_object().key("items").begin_array();
  std::size_t total = 0, listed = 0;
  {
    std::lock_guard lock(ctx->clients_mutex);
    total = ctx->clients.size();
    for (auto& [id, c] : ctx->clients) {
      if (only && c.username != only) continue;
      if (listed == static_cast<std::size_t>(limit)) break;
      ++listed;
      j.begin_object().key("client_id").str(id).key("username");
      if (c.username) j.str(*c.username);
      else j.null();
      j.key("address").str(c.address).key("listener").str(c.listener).key("connected").num(c.since_ms).end_object();
    }
  }
  j.end_array().key("connected").num(static_cast<std::int64_t>(total));
  reply(json_response(200, j.end_object().take()));
}

void client_get(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  std::string id;
  if (!param(ex, "id", id, reply)) return;
  std::optional<ConnectedClient> found;
  {
    std::lock_guard lock(ctx->clients_mutex);
    auto it = ctx->clients.find(id);
    if (it != ctx->clients.end()) found = it->second;
  }
  std::optional<broker::Broker::SessionInfo> session;
  if (ctx->broker_admin.session) session = ctx->broker_admin.session(id);
  if (!found && !session) return reply(error_response(404, "not_found", "no such client or session"));
  JsonOut j;
  j.begin_object().key("client_id").str(id).key("connected").boolean(found.has_value());
  if (found) {
    j.key("username");
    if (found->username) j.str(*found->username);
    else j.null();
    j.key("address").str(found->address).key("listener").str(found->listener).key("since").num(found->since_ms);
  }
  if (session) {
    j.key("session").begin_object().key("clean").boolean(session->clean).key("username");
    if (session->username) j.str(*session->username);
    else j.null();
    j.end_object();
  }
  reply(json_response(200, j.end_object().take()));
}

void client_delete(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  std::string id;
  if (!param(ex, "id", id, reply)) return;
  if (!ctx->broker_admin.kick) return reply(no_broker());
  bool connected;
  {
    std::lock_guard lock(ctx->clients_mutex);
    connected = ctx->clients.count(id) > 0;
  }
  if (!connected) return reply(error_response(404, "not_found", "no such connected client"));
  ctx->broker_admin.kick(id);
  ctx->log->info("admin: client={} kicked", broker::log_text(id));
  reply(json_response(200, R"({"kicked":1})"));
}

void sessions_list(const ContextPtr& ctx, const Exchange& ex, const Reply& reply) {
  int limit = 0;
  if (!limit_param(ex, 1000, 100000, limit, reply)) return;
  if (!ctx->broker_admin.sessions) return reply(no_broker());
  auto all = ctx->broker_admin.sessions(static_cast<std::size_t>(limit));
  JsonOut j;
  j.begin_object().key("items").begin_array();
  for (auto& s : all) {
    j.begin_object().key("client_id").str(s.client_id).key("username");
    if (s.username) j.str(*s.username);
    else j.null();
    j.key("clean").boolean(s.clean).key("online").boolean(s.online).end_object();
  }
  j.end_array().key("total").num(static_cast<std::int64_t>(ctx->broker_admin.session_count()));
  reply(json_response(200, j.end_object().take()));
}

// --- locks

void lock_get(const ContextPtr& ctx, const Exchange& ex, const std::string& lockno, const Reply& reply) {
  if (!valid_lockno(lockno)) return reply(error_response(404, "not_found", "no such lock"));
  int limit = 0;
  if (!limit_param(ex, 10, 100, limit, reply)) return;
  ctx->store.kv->hmget(Db::lock, "monitor", {lockno}, [ctx, reply, lockno, limit](auto st) {
    if (!st.ok) return reply(storage_error(st.message));
    auto status = st.value.at(0);
    ctx->store.sql->history_page(lockno, 0, limit,
                                 [ctx, reply, lockno, status](storage::Result<std::vector<storage::HistoryRow>> r) {
                                   if (!r.ok) return reply(storage_error(r.message));
                                   JsonOut j;
                                   j.begin_object().key("lockno").str(lockno).key("status");
                                   if (status) j.str(*status);
                                   else j.null();
                                   j.key("connected").boolean(ctx->is_online(lockno)).key("events").begin_array();
                                   for (auto& row : r.value)
                                     j.begin_object()
                                         .key("event")
                                         .str(storage::event_code(row.event))
                                         .key("text")
                                         .str(row.text)
                                         .key("time")
                                         .str(format_time(row.ts_ms))
                                         .key("ts")
                                         .num(row.ts_ms)
                                         .end_object();
                                   reply(json_response(200, j.end_array().end_object().take()));
                                 });
  });
}

// POST /devices/<lockno>/password: a new password for a registered lock, answered once; the old
// one stops working and the lock's connection is closed so it logs in again with the new one.
void device_password(const ContextPtr& ctx, const std::string& lockno, const Reply& reply) {
  if (!valid_lockno(lockno)) return reply(error_response(404, "not_found", "no such lock"));
  ctx->store.sql->get_device(lockno, [ctx, reply, lockno](storage::Result<std::optional<storage::Device>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such lock"));
    auto password = common::base64_encode(random_bytes(12));
    boost::asio::post(*ctx->files, [ctx, reply, lockno, password] {
      ctx->credentials->issue(
          auth::lock_credential(lockno, password), [ctx, reply, lockno, password](storage::Status s) {
            if (!s.ok) return reply(storage_error(s.message));
            ctx->control->disconnect_user(lockno);
            ctx->store.sql->set_device_credential(lockno, sha256_hex(password), [](storage::Result<bool>) {});
            ctx->log->info("admin: new password for lock {}", broker::log_text(lockno));
            JsonOut j;
            j.begin_object().key("lockno").str(lockno).key("password").str(password).end_object();
            reply(json_response(200, j.take()));
          });
    });
  });
}

}  // namespace

AdminRoute resolve_admin(bhttp::verb m, const std::string& path) {
  using V = bhttp::verb;
  auto one = [](AdminRoute::Id id, bool ok) { return AdminRoute{id, ok, {}}; };
  if (path == "/users") return one(AdminRoute::users, m == V::get);
  if (path == "/user") return one(AdminRoute::user, m == V::get || m == V::put || m == V::delete_);
  if (path == "/user/acl") return one(AdminRoute::acl, m == V::put || m == V::delete_);
  if (path == "/bindings") return one(AdminRoute::bindings, m == V::get || m == V::post || m == V::delete_);
  if (path == "/credentials") return one(AdminRoute::credentials, m == V::get || m == V::delete_);
  if (path == "/clients") return one(AdminRoute::clients, m == V::get);
  if (path == "/client") return one(AdminRoute::client, m == V::get || m == V::delete_);
  if (path == "/sessions") return one(AdminRoute::sessions, m == V::get);
  constexpr std::string_view locks = "/locks/", pw = "/password", devices = "/devices/";
  if (path.size() > locks.size() && path.compare(0, locks.size(), locks) == 0 &&
      path.find('/', locks.size()) == std::string::npos)
    return AdminRoute{AdminRoute::lock, m == V::get, path.substr(locks.size())};
  if (path.size() > devices.size() + pw.size() && path.compare(0, devices.size(), devices) == 0 &&
      path.compare(path.size() - pw.size(), pw.size(), pw) == 0) {
    auto lockno = path.substr(devices.size(), path.size() - devices.size() - pw.size());
    if (lockno.find('/') == std::string::npos) return AdminRoute{AdminRoute::device_password, m == V::post, lockno};
  }
  return {};
}

void handle_admin(const ContextPtr& ctx, Exchange& ex, const AdminRoute& r, Reply reply) {
  using V = bhttp::verb;
  if (!check_admin(*ctx, ex, reply)) return;
  const auto m = ex.req.method();
  switch (r.id) {
    case AdminRoute::users: return users_list(ctx, ex, reply);
    case AdminRoute::user:
      if (m == V::get) return user_get(ctx, ex, reply);
      return m == V::put ? user_put(ctx, ex, reply) : user_delete(ctx, ex, reply);
    case AdminRoute::acl: return m == V::put ? acl_put(ctx, ex, reply) : acl_delete(ctx, ex, reply);
    case AdminRoute::bindings:
      if (m == V::get) return bindings_list(ctx, ex, reply);
      return m == V::post ? binding_post(ctx, ex, reply) : binding_delete(ctx, ex, reply);
    case AdminRoute::credentials:
      return m == V::get ? credentials_list(ctx, ex, reply) : credential_delete(ctx, ex, reply);
    case AdminRoute::clients: return clients_list(ctx, ex, reply);
    case AdminRoute::client: return m == V::get ? client_get(ctx, ex, reply) : client_delete(ctx, ex, reply);
    case AdminRoute::sessions: return sessions_list(ctx, ex, reply);
    case AdminRoute::lock: return lock_get(ctx, ex, r.lockno, reply);
    case AdminRoute::device_password: return device_password(ctx, r.lockno, reply);
    case AdminRoute::none: break;
  }
  reply(error_response(404, "not_found", "no such route"));
}

}  // namespace http::detail
