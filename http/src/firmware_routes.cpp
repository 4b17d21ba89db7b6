// Firmware images and OTA: POST /firmware?version=V (admin; the body is the image), GET /firmware
// (admin; list), GET /firmware/<version> (the locks' download, Range supported), POST /ota
// (admin; offers a version to locks on /<lockno>/ota). Files live in data_dir/firmware; reading
// and writing them happens on the file pool, never on a session strand.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <spdlog/spdlog.h>

#include "broker/hooks.hpp"
#include "broker/log_text.hpp"
#include "byte_range.hpp"
#include "context.hpp"
#include "json.hpp"
#include "secrets.hpp"

namespace http::detail {

namespace {

std::string write_file(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::strerror(errno);
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return why;
    }
    done += static_cast<std::size_t>(n);
  }
  // Durable before the database row points at it.
  std::string why = ::fsync(fd) == 0 ? "" : std::strerror(errno);
  ::close(fd);
  return why;
}

// Reads [first, first+len) of `path`; an empty optional when the file is gone or short.
std::optional<std::string> read_slice(const std::string& path, std::uint64_t first, std::uint64_t len) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out(len, '\0');
  std::size_t done = 0;
  while (done < len) {
    auto n = ::pread(fd, out.data() + done, len - done, static_cast<off_t>(first + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (done != len) return std::nullopt;
  return out;
}

std::string firmware_json(const storage::Firmware& f) {
  JsonOut j;
  j.begin_object()
      .key("version").str(f.version)
      .key("size").num(f.size)
      .key("sha256").str(f.sha256)
      .key("created").num(f.created_ms)
      .end_object();
  return j.take();
}

}  // namespace

void handle_firmware_upload(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  if (!check_admin(*ctx, ex, reply)) return;
  auto version = query_param(ex.query, "version").value_or("");
  if (!valid_version(version))
    return reply(error_response(400, "invalid_field",
                                "version must be 1..32 letters, digits, '.', '-' or '_'"));
  if (ex.req.body().empty()) return reply(error_response(400, "empty_body", "the body must be the image"));
  auto image = std::make_shared<std::string>(std::move(ex.req.body()));
  boost::asio::post(*ctx->files, [ctx, reply, version, image] {
    std::error_code ec;
    std::filesystem::create_directories(ctx->firmware_dir, ec);
    auto rel = "firmware/" + version + ".bin";
    auto final_path = ctx->opt.data_dir + "/" + rel;
    // Each upload its own temporary file: two uploads of one version at once must not write into
    // the same file (the loser's bytes ended up under the winner's row and SHA-256).
    auto tmp = final_path + ".upload-" + sha256_hex(random_bytes(16)).substr(0, 16);
    if (auto why = write_file(tmp, *image); !why.empty()) {
      ctx->log->error("firmware {}: cannot write {}: {}", broker::log_text(version), tmp, why);
      return reply(error_response(500, "storage_error", "cannot store the image"));
    }
    storage::Firmware f{version, static_cast<std::int64_t>(image->size()), sha256_hex(*image), rel, 0};
    ctx->store.sql->add_firmware(f, [ctx, reply, f, tmp, final_path](storage::Result<bool> r) {
      boost::asio::post(*ctx->files, [ctx, reply, f, tmp, final_path, r] {
        std::error_code ec;
        if (!r.ok || !r.value) {
          std::filesystem::remove(tmp, ec);
          if (!r.ok) return reply(storage_error(r.message));
          return reply(error_response(409, "exists", "this firmware version already exists"));
        }
        std::filesystem::rename(tmp, final_path, ec);
        if (ec) {
          ctx->log->error("firmware {}: rename: {}", broker::log_text(f.version), ec.message());
          return reply(error_response(500, "storage_error", "cannot store the image"));
        }
        ctx->log->info("firmware {} stored: {} bytes, sha256 {}", broker::log_text(f.version), f.size, f.sha256);
        auto stored = f;
        stored.created_ms = now_ms();
        reply(json_response(201, firmware_json(stored)));
      });
    });
  });
}

void handle_firmware_list(const ContextPtr& ctx, Reply reply) {
  ctx->store.sql->list_firmware([reply](storage::Result<std::vector<storage::Firmware>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    std::string out = "{\"items\":[";
    for (std::size_t i = 0; i < r.value.size(); ++i) out += (i ? "," : "") + firmware_json(r.value[i]);
    reply(json_response(200, out + "]}"));
  });
}

void handle_firmware_download(const ContextPtr& ctx, Exchange& ex, const std::string& version,
                              Reply reply) {
  if (!valid_version(version)) return reply(error_response(404, "not_found", "no such firmware"));
  auto range_field = ex.req.find(bhttp::field::range);
  std::string range = range_field == ex.req.end() ? "" : std::string(range_field->value());
  bool head = ex.req.method() == bhttp::verb::head;
  ctx->store.sql->get_firmware(version, [ctx, reply, range, head](storage::Result<std::optional<storage::Firmware>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such firmware"));
    auto f = *r.value;
    boost::asio::post(*ctx->files, [ctx, reply, range, head, f] {
      auto size = static_cast<std::uint64_t>(f.size);
      ByteRange br{0, size - 1};
      auto kind = range.empty() ? RangeResult::whole : parse_range(range, size, br);
      if (kind == RangeResult::unsatisfiable) {
        auto res = error_response(416, "range_not_satisfiable", "the range is outside the image");
        res.set(bhttp::field::content_range, "bytes */" + std::to_string(size));
        return reply(std::move(res));
      }
      if (kind == RangeResult::whole) br = {0, size - 1};
      std::uint64_t len = br.last - br.first + 1;
      std::string body;
      if (!head) {
        auto data = read_slice(ctx->opt.data_dir + "/" + f.file, br.first, len);
        if (!data) {
          ctx->log->error("firmware {}: file {} missing or short", broker::log_text(f.version), f.file);
          return reply(error_response(500, "storage_error", "the image file is unreadable"));
        }
        body = std::move(*data);
        ctx->counters.firmware_bytes_served += len;
      }
      auto res = text_response(kind == RangeResult::partial ? 206 : 200, std::move(body),
                               "application/octet-stream");
      res.set(bhttp::field::accept_ranges, "bytes");
      res.set(bhttp::field::etag, "\"" + f.sha256 + "\"");
      res.set(bhttp::field::cache_control, "public, max-age=31536000, immutable");
      if (kind == RangeResult::partial)
        res.set(bhttp::field::content_range, "bytes " + std::to_string(br.first) + "-" +
                                                 std::to_string(br.last) + "/" + std::to_string(size));
      if (head) res.content_length(len);
      reply(std::move(res));
    });
  });
}

void handle_ota(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  rapidjson::Document doc;
  std::string version;
  if (!check_admin(*ctx, ex, reply) || !read_object(ex, doc, reply) ||
      !string_field(doc, "version", 32, version, reply))
    return;
  auto it = doc.FindMember("locknos");
  if (it == doc.MemberEnd() || !it->value.IsArray() || it->value.Empty() || it->value.Size() > 10000)
    return reply(error_response(400, "invalid_field", "locknos must be an array of 1..10000 lock numbers"));
  std::vector<std::string> locknos;
  for (auto& v : it->value.GetArray()) {
    if (!v.IsString() || !valid_lockno(std::string(v.GetString(), v.GetStringLength())))
      return reply(error_response(400, "invalid_field", "locknos must hold lock numbers"));
    locknos.emplace_back(v.GetString(), v.GetStringLength());
  }
  // Where the locks download from: configured, or the address the admin reached us at.
  std::string base = ctx->opt.public_url;
  if (base.empty()) {
    auto host = ex.req.find(bhttp::field::host);
    if (host == ex.req.end()) return reply(error_response(400, "no_public_url", "set http.public_url"));
    base = "http://" + std::string(host->value());
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  ctx->store.sql->get_firmware(version, [ctx, reply, locknos, base](storage::Result<std::optional<storage::Firmware>> r) {
    if (!r.ok) return reply(storage_error(r.message));
    if (!r.value) return reply(error_response(404, "not_found", "no such firmware"));
    auto& f = *r.value;
    JsonOut offer;
    offer.begin_object()
        .key("version").str(f.version)
        .key("url").str(base + "/firmware/" + url_encode(f.version))
        .key("size").num(f.size)
        .key("sha256").str(f.sha256)
        .end_object();
    auto payload = offer.take();
    auto now = std::to_string(now_ms());
    for (auto& lockno : locknos) {
      ctx->control->publish(broker::make_message("/" + lockno + "/ota", payload, 1, false));
      ctx->store.kv->hreplace(storage::Db::lock, "ota:" + lockno,
                              {{"version", f.version}, {"state", "offered"}, {"updated", now}},
                              std::chrono::milliseconds(0), [](storage::Status) {});
    }
    ctx->counters.ota_offers += locknos.size();
    ctx->log->info("offered firmware {} to {} lock(s)", broker::log_text(f.version), locknos.size());
    JsonOut j;
    j.begin_object().key("offered").num(static_cast<std::int64_t>(locknos.size())).key("offer").raw(payload).end_object();
    reply(json_response(200, j.take()));
  });
}

}  // namespace http::detail
