// Admin routes for locks: POST /devices (register: MQTT credentials and two binding codes, shown
// once), GET /devices (list with online state and firmware), GET /devices/<lockno> (with the last
// OTA report), DELETE /devices/<lockno> (credentials, binding codes and bindings gone; its live
// session disconnected).
#include <spdlog/spdlog.h>

#include "broker/hooks.hpp"
#include "broker/log_text.hpp"
#include "credentials.hpp"
#include "json.hpp"
#include "secrets.hpp"

namespace http::detail {

using storage::Db;

void handle_device_register(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  rapidjson::Document doc;
  std::string lockno;
  if (!check_admin(*ctx, ex, reply) || !read_object(ex, doc, reply) || !string_field(doc, "lockno", 64, lockno, reply))
    return;
  if (!valid_lockno(lockno))
    return reply(error_response(400, "invalid_field", "lockno must be 11 letters, digits, '-' or '_'"));
  storage::Device d;
  d.lockno = lockno;
  d.credential_hash = "pending";
  ctx->store.sql->add_device(d, [ctx, reply, lockno](storage::Result<bool> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(409, "exists", "this lock is already registered"));
    write_device_secrets(ctx, lockno, [ctx, reply, lockno](storage::Status s, DeviceSecrets secrets) {
      if (!s.ok) {
        // Without credentials the row is useless: take it back so registering can be retried.
        ctx->store.sql->delete_device(lockno, [](storage::Result<bool>) {});
        return reply(storage_error(s.message));
      }
      ctx->store.sql->set_device_credential(lockno, sha256_hex(secrets.password), [](storage::Result<bool>) {});
      ctx->log->info("registered lock {}", broker::log_text(lockno));
      JsonOut j;
      j.begin_object()
          .key("lockno")
          .str(lockno)
          .key("username")
          .str(lockno)
          .key("password")
          .str(secrets.password)
          .key("bindcode_m")
          .str(secrets.bindcode_m)
          .key("bindcode_f")
          .str(secrets.bindcode_f)
          .end_object();
      reply(json_response(201, j.take()));
    });
  });
}

namespace {
void write_device(JsonOut& j, const storage::Device& d, const std::optional<std::string>& status, bool online_here) {
  // Online: connected to this node, or the last status another node recorded is not the will.
  bool online = online_here || (status && *status != "-2");
  j.key("lockno").str(d.lockno).key("online").boolean(online).key("status");
  if (status) j.str(*status);
  else j.null();
  j.key("firmware").str(d.firmware_version).key("last_seen").num(d.last_seen_ms).key("created").num(d.created_ms);
}
}  // namespace

void handle_device_list(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  if (!check_admin(*ctx, ex, reply)) return;
  auto after = query_param(ex.query, "after").value_or("");
  int limit = 100;
  try {
    if (auto l = query_param(ex.query, "limit")) limit = std::stoi(*l);
  } catch (const std::exception&) {
    return reply(error_response(400, "invalid_field", "limit must be an integer"));
  }
  if (limit < 1 || limit > 1000) return reply(error_response(400, "invalid_field", "limit must be 1..1000"));
  ctx->store.sql->list_devices(after, limit, [ctx, reply, limit](storage::Result<std::vector<storage::Device>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    auto devices = std::make_shared<std::vector<storage::Device>>(std::move(r.value));
    std::vector<std::string> locknos;
    for (auto& d : *devices) locknos.push_back(d.lockno);
    auto answer = [ctx, reply, devices, limit](const std::vector<std::optional<std::string>>& statuses) {
      JsonOut j;
      j.begin_object().key("items").begin_array();
      for (std::size_t i = 0; i < devices->size(); ++i) {
        j.begin_object();
        write_device(j, (*devices)[i], i < statuses.size() ? statuses[i] : std::nullopt,
                     ctx->is_online((*devices)[i].lockno));
        j.end_object();
      }
      j.end_array().key("next");
      if (static_cast<int>(devices->size()) == limit) j.str(devices->back().lockno);
      else j.null();
      reply(json_response(200, j.end_object().take()));
    };
    if (locknos.empty()) return answer({});
    ctx->store.kv->hmget(Db::lock, "monitor", locknos,
                         [reply, answer](storage::Result<std::vector<std::optional<std::string>>> r) {
                           if (!r.ok) return reply(storage_error(r.message));
                           answer(r.value);
                         });
  });
}

void handle_device_get(const ContextPtr& ctx, const std::string& lockno, Reply reply) {
  if (!valid_lockno(lockno)) return reply(error_response(404, "not_found", "no such lock"));
  ctx->store.sql->get_device(lockno, [ctx, reply, lockno](storage::Result<std::optional<storage::Device>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such lock"));
    auto d = *r.value;
    ctx->store.kv->hmget(Db::lock, "monitor", {lockno}, [ctx, reply, d](auto st) {
      if (!st.ok) return reply(storage_error(st.message));
      auto status = st.value.at(0);
      ctx->store.kv->hgetall(Db::lock, "ota:" + d.lockno, [ctx, reply, d, status](storage::Result<storage::Fields> o) {
        if (!o.ok) return reply(storage_error(o.message));
        JsonOut j;
        j.begin_object();
        write_device(j, d, status, ctx->is_online(d.lockno));
        j.key("ota");
        if (o.value.empty()) {
          j.null();
        } else {
          j.begin_object();
          for (auto& [k, v] : o.value) j.key(k).str(v);
          j.end_object();
        }
        reply(json_response(200, j.end_object().take()));
      });
    });
  });
}

void handle_bindcodes(const ContextPtr& ctx, Exchange& ex, const std::string& lockno, Reply reply) {
  if (!check_admin(*ctx, ex, reply)) return;
  if (!valid_lockno(lockno)) return reply(error_response(404, "not_found", "no such lock"));
  std::string roles = "mf";
  if (!ex.req.body().empty()) {
    rapidjson::Document doc;
    std::string morf;
    if (!read_object(ex, doc, reply) || !string_field(doc, "morf", 1, morf, reply)) return;
    if (morf != "m" && morf != "f") return reply(error_response(400, "invalid_field", "morf must be m or f"));
    roles = morf;
  }
  ctx->store.sql->get_device(lockno, [ctx, reply, lockno, roles](storage::Result<std::optional<storage::Device>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such lock"));
    rotate_bindcodes(ctx, lockno, roles, [ctx, reply, lockno](storage::Status s, storage::Fields codes) {
      if (!s.ok) return reply(storage_error(s.message));
      ctx->log->info("binding codes of {} regenerated ({})", lockno, codes.size());
      JsonOut j;
      j.begin_object().key("lockno").str(lockno);
      for (auto& [role, code] : codes) j.key("bindcode_" + role).str(code);
      reply(json_response(200, j.end_object().take()));
    });
  });
}

void handle_device_delete(const ContextPtr& ctx, const std::string& lockno, Reply reply) {
  if (!valid_lockno(lockno)) return reply(error_response(404, "not_found", "no such lock"));
  ctx->store.sql->delete_device(lockno, [ctx, reply, lockno](storage::Result<bool> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such lock"));
    delete_device_secrets(ctx, lockno, [ctx, reply, lockno](storage::Status s) {
      if (!s.ok) return reply(storage_error("device deleted, credentials not: " + s.message));
      // Its owners lose the lock too, and with it their credentials.
      ctx->store.sql->find_bindings_by_lock(
          lockno, [ctx, reply, lockno](storage::Result<std::vector<storage::Binding>> b) {
            if (!b.ok) return reply(storage_error(b.message));
            auto join = Join::make(static_cast<int>(b.value.size()) + 1, [reply](storage::Status s) {
              if (!s.ok) return reply(storage_error("device deleted, unbinding failed: " + s.message));
              reply(json_response(200, R"({"deleted":1})"));
            });
            for (auto& binding : b.value) {
              auto user = binding.userno;
              ctx->store.sql->unbind(user, [ctx, join, user](storage::Result<bool> u) {
                if (!u.ok) return join->step(u);
                revoke_user(ctx, user, [join](storage::Status s) { join->step(s); });
              });
            }
            join->step(storage::Status::success());
            ctx->log->info("deleted lock {} ({} binding(s) removed)", broker::log_text(lockno), b.value.size());
          });
    });
  });
}

}  // namespace http::detail
