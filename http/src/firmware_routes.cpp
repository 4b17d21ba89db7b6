// Firmware images and OTA: POST /firmware?version=V (admin; the body is the image), GET /firmware
// (admin; list), GET /firmware/<version> (the locks' download, Range supported), POST /ota
// (admin; offers a version to locks on /<lockno>/ota). Files live in data_dir/firmware; reading
// and writing them happens on the file pool, never on a session strand. Images pass through in
// 64 KiB chunks both ways (the session streams them): no route holds a whole image in memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "broker/hooks.hpp"
#include "broker/log_text.hpp"
#include "byte_range.hpp"
#include "common/clock.hpp"
#include "context.hpp"
#include "json.hpp"
#include "secrets.hpp"

namespace http::detail {

namespace {

// A POST /firmware body on its way to disk, chosen at admission: a temporary file of its own (two
// uploads of one version at once must not write into one file: the loser's bytes ended up under
// the winner's row), created on the first chunk, and the SHA-256 kept as the bytes pass. Every
// call after construction runs on the file pool, one at a time (the session waits for each
// write). The file is removed unless the upload was stored.
class ImageUpload : public BodySink, public std::enable_shared_from_this<ImageUpload> {
 public:
  explicit ImageUpload(ContextPtr ctx)
      : ctx_(std::move(ctx)), tmp_(ctx_->firmware_dir + "/.upload-" + hex(random_bytes(8))) {}

  ~ImageUpload() override {
    if (fd_ >= 0) ::close(fd_);
    if (created_) boost::asio::post(*ctx_->files, [path = tmp_] { ::unlink(path.c_str()); });
  }

  void write(const char* data, std::size_t size, std::function<void(bool ok)> done) override {
    boost::asio::post(*ctx_->files, [self = shared_from_this(), data, size, done = std::move(done)] {
      done(self->append(data, size));
    });
  }

  std::uint64_t size() const { return size_; }
  const std::string& path() const { return tmp_; }

  // Durable before the database row points at it; the image's SHA-256, or empty on failure.
  std::string finish() {
    bool ok = ::fsync(fd_) == 0;
    if (!ok) ctx_->log->error("firmware upload: fsync {}: {}", tmp_, std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    return ok ? sha_.hex_final() : std::string();
  }

  // Stored under its final name, or dropped: either way the temporary name is gone.
  void moved_away() { created_ = false; }
  void discard() {
    if (created_) ::unlink(tmp_.c_str());
    created_ = false;
  }

 private:
  bool append(const char* data, std::size_t size) {
    if (failed_) return false;
    if (fd_ < 0) {
      std::error_code ec;
      std::filesystem::create_directories(ctx_->firmware_dir, ec);
      fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd_ < 0) return fail("open");
      created_ = true;
    }
    for (std::size_t done = 0; done < size;) {
      auto n = ::write(fd_, data + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail("write");
      done += static_cast<std::size_t>(n);
    }
    sha_.update(data, size);
    size_ += size;
    return true;
  }

  bool fail(const char* what) {
    ctx_->log->error("firmware upload: {} {}: {}", what, tmp_, std::strerror(errno));
    failed_ = true;
    return false;
  }

  ContextPtr ctx_;
  std::string tmp_;
  int fd_ = -1;
  bool created_ = false, failed_ = false;
  std::uint64_t size_ = 0;
  Sha256 sha_;
};

std::string firmware_json(const storage::Firmware& f) {
  JsonOut j;
  j.begin_object()
      .key("version")
      .str(f.version)
      .key("size")
      .num(f.size)
      .key("sha256")
      .str(f.sha256)
      .key("created")
      .num(f.created_ms)
      .end_object();
  return j.take();
}

}  // namespace

std::shared_ptr<BodySink> image_upload_sink(const ContextPtr& ctx) { return std::make_shared<ImageUpload>(ctx); }

Response invalid_version() {
  return error_response(400, "invalid_field", "version must be 1..32 letters, digits, '.', '-' or '_'");
}

void handle_firmware_upload(const ContextPtr& ctx, Exchange& ex, Reply reply) {
  if (!check_admin(*ctx, ex, reply)) return;
  auto version = query_param(ex.query, "version").value_or("");
  if (!valid_version(version)) return reply(invalid_version());
  // admit() streamed the body into this as it arrived.
  auto upload = std::dynamic_pointer_cast<ImageUpload>(ex.sink);
  if (!upload) return reply(error_response(500, "internal", "the image was not received"));
  boost::asio::post(*ctx->files, [ctx, reply, version, upload] {
    if (upload->size() == 0) return reply(error_response(400, "empty_body", "the body must be the image"));
    auto sha = upload->finish();
    if (sha.empty()) {
      upload->discard();
      return reply(error_response(500, "storage_error", "cannot store the image"));
    }
    auto rel = "firmware/" + version + ".bin";
    storage::Firmware f{version, static_cast<std::int64_t>(upload->size()), sha, rel, 0};
    ctx->store.sql->add_firmware(f, [ctx, reply, f, upload](storage::Result<bool> r) {
      boost::asio::post(*ctx->files, [ctx, reply, f, upload, r] {
        if (!r.ok || !r.value) {
          upload->discard();
          if (!r.ok) return reply(storage_error(r.message));
          return reply(error_response(409, "exists", "this firmware version already exists"));
        }
        std::error_code ec;
        std::filesystem::rename(upload->path(), ctx->opt.data_dir + "/" + f.file, ec);
        if (ec) {
          ctx->log->error("firmware {}: rename: {}", broker::log_text(f.version), ec.message());
          upload->discard();
          return reply(error_response(500, "storage_error", "cannot store the image"));
        }
        upload->moved_away();
        ctx->log->info("firmware {} stored: {} bytes, sha256 {}", broker::log_text(f.version), f.size, f.sha256);
        auto stored = f;
        stored.created_ms = common::unix_ms_now();
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

void handle_firmware_download(const ContextPtr& ctx, Exchange& ex, const std::string& version, Reply reply) {
  if (!valid_version(version)) return reply(error_response(404, "not_found", "no such firmware"));
  auto range_field = ex.req.find(bhttp::field::range);
  std::string range = range_field == ex.req.end() ? "" : std::string(range_field->value());
  bool head = ex.req.method() == bhttp::verb::head;
  auto reply_file = ex.reply_file;
  ctx->store.sql->get_firmware(
      version, [ctx, reply, reply_file, range, head](storage::Result<std::optional<storage::Firmware>> r) {
        if (!r.ok) return reply(storage_error(r.message));
        if (!r.value) return reply(error_response(404, "not_found", "no such firmware"));
        auto f = *r.value;
        boost::asio::post(*ctx->files, [ctx, reply, reply_file, range, head, f] {
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
          auto res = text_response(kind == RangeResult::partial ? 206 : 200, "", "application/octet-stream");
          res.set(bhttp::field::accept_ranges, "bytes");
          res.set(bhttp::field::etag, "\"" + f.sha256 + "\"");
          res.set(bhttp::field::cache_control, "public, max-age=31536000, immutable");
          if (kind == RangeResult::partial)
            res.set(bhttp::field::content_range,
                    "bytes " + std::to_string(br.first) + "-" + std::to_string(br.last) + "/" + std::to_string(size));
          if (head) {
            res.content_length(len);
            return reply(std::move(res));
          }
          // The session streams the slice in chunks from this descriptor; here it is only checked
          // to hold the image, while a 500 can still be answered.
          auto path = ctx->opt.data_dir + "/" + f.file;
          int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
          struct stat st {};
          if (fd >= 0 && (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < size)) {
            ::close(fd);
            fd = -1;
          }
          if (fd < 0) {
            ctx->log->error("firmware {}: file {} missing or short", broker::log_text(f.version), f.file);
            return reply(error_response(500, "storage_error", "the image file is unreadable"));
          }
          FileSlice body{std::shared_ptr<int>(new int(fd),
                                              [](int* p) {
                                                ::close(*p);
                                                delete p;
                                              }),
                         br.first, len, ctx->files->get_executor(),
                         [ctx](std::uint64_t n) { ctx->counters.firmware_bytes_served += n; }};
          reply_file(std::move(res), std::move(body));
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
  ctx->store.sql->get_firmware(
      version, [ctx, reply, locknos, base](storage::Result<std::optional<storage::Firmware>> r) {
        if (!r.ok) return reply(storage_error(r.message));
        if (!r.value) return reply(error_response(404, "not_found", "no such firmware"));
        auto& f = *r.value;
        JsonOut offer;
        offer.begin_object()
            .key("version")
            .str(f.version)
            .key("url")
            .str(base + "/firmware/" + url_encode(f.version))
            .key("size")
            .num(f.size)
            .key("sha256")
            .str(f.sha256)
            .end_object();
        auto payload = offer.take();
        auto now = std::to_string(common::unix_ms_now());
        for (auto& lockno : locknos) {
          ctx->control->publish(broker::make_message("/" + lockno + "/ota", payload, 1, false));
          ctx->store.kv->hreplace(storage::Db::lock, "ota:" + lockno,
                                  {{"version", f.version}, {"state", "offered"}, {"updated", now}},
                                  std::chrono::milliseconds(0), [](storage::Status) {});
        }
        ctx->counters.ota_offers += locknos.size();
        ctx->log->info("offered firmware {} to {} lock(s)", broker::log_text(f.version), locknos.size());
        JsonOut j;
        j.begin_object()
            .key("offered")
            .num(static_cast<std::int64_t>(locknos.size()))
            .key("offer")
            .raw(payload)
            .end_object();
        reply(json_response(200, j.take()));
      });
}

}  // namespace http::detail
