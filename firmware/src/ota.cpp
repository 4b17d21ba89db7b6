#include "firmware/ota.hpp"

#include <cstring>

#include "firmware/json_fields.hpp"
#include "firmware/text.hpp"

namespace firmware {
namespace {

constexpr Millis never = ~Millis{0};
constexpr Millis retry_min_ms = 1000;
constexpr Millis retry_max_ms = 30000;
// Chunks hashed per tick while verifying, so a large image does not stall the MQTT session.
constexpr int verify_chunks_per_tick = 64;

// Versions go into JSON reports and log lines unescaped, so they are kept to a safe alphabet.
bool valid_version(const char* v) {
  if (*v == '\0') return false;
  for (; *v; ++v) {
    char c = *v;
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' ||
              c == '_' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Ota::Ota(Platform& platform, const LockConfig& config, OtaHost& host)
    : platform_(platform), config_(config), host_(host) {}

bool Ota::busy() const { return state_ != State::idle && state_ != State::failed; }

void Ota::report(const char* state, const char* reason, bool with_progress, bool final) {
  TextWriter w(report_, sizeof report_);
  w.add("{\"version\":\"").add(version_).add("\",\"state\":\"").add(state).add('"');
  if (reason) w.add(",\"reason\":\"").add(reason).add('"');
  if (with_progress) {
    w.add(",\"progress\":").add_uint(size_ ? std::uint64_t{written_} * 100 / size_ : 0);
    w.add(",\"received\":").add_uint(written_).add(",\"size\":").add_uint(size_);
  }
  w.add('}');
  if (!w.ok()) return;
  bool sent = host_.ota_report(w.view(), final);
  if (!final) return;
  // Results are remembered until they reach the broker: an update that fails while the lock is
  // offline must still be reported.
  result_unsent_ = !sent;
  TextWriter(result_state_, sizeof result_state_).add(state);
  TextWriter(result_reason_, sizeof result_reason_).add(reason ? reason : "");
}

void Ota::report_on_connect() {
  report_running();
  if (state_ == State::connecting || state_ == State::awaiting_head || state_ == State::receiving ||
      state_ == State::retry_wait || state_ == State::verifying) {
    report("downloading", nullptr, true, false);
  } else if (result_unsent_) {
    report(result_state_, result_reason_[0] ? result_reason_ : nullptr, false, true);
  }
}

void Ota::report_running() {
  TextWriter w(report_, sizeof report_);
  w.add("{\"version\":\"").add(config_.version).add("\",\"state\":\"running\"");
  if (config_.previous_version[0] != '\0') w.add(",\"previous\":\"").add(config_.previous_version).add('"');
  w.add('}');
  if (w.ok()) host_.ota_report(w.view(), true);
}

void Ota::offer(std::string_view json) {
  char version[version_max + 1];
  char url_text[host_max + path_max + 16];
  char sha_hex[2 * Sha256::digest_size + 1];
  std::uint64_t size = 0;
  Url url;
  std::uint8_t digest[Sha256::digest_size];
  bool ok = json_string_field(json, "version", version, sizeof version) && valid_version(version) &&
            json_string_field(json, "url", url_text, sizeof url_text) && parse_url(url_text, url) &&
            json_uint_field(json, "size", size) && size > 0 && size <= 0xffffffffu &&
            json_string_field(json, "sha256", sha_hex, sizeof sha_hex) && parse_sha256_hex(sha_hex, digest);
  if (!ok) {
    // Report under the offered version when it is at least readable, so the operator sees which
    // offer was refused.
    if (!json_string_field(json, "version", version_, sizeof version_) || !valid_version(version_)) version_[0] = '\0';
    platform_.note(Note::ota_failed, "bad offer");
    report("rejected", "bad_offer", false, true);
    return;
  }
  platform_.note(Note::ota_offer, version);
  if (std::strcmp(version, config_.version) == 0) {
    std::memcpy(version_, version, sizeof version_);
    report("current", nullptr, false, true);
    return;
  }
  if (state_ == State::installing) return;
  // The same offer again (a retained message after a reconnect) must not restart a download.
  if (busy() && std::strcmp(version, version_) == 0) return;
  if (state_ == State::connecting || state_ == State::awaiting_head || state_ == State::receiving)
    platform_.link_close(Link::http);

  std::memcpy(version_, version, sizeof version_);
  url_ = url;
  size_ = static_cast<std::uint32_t>(size);
  std::memcpy(expected_, digest, sizeof expected_);
  written_ = 0;
  retries_ = 0;
  last_percent_ = 0;
  if (!platform_.slot_prepare(size_)) return fail("slot_prepare");
  report("downloading", nullptr, true, false);
  connect();
}

void Ota::abort() {
  if (state_ == State::connecting || state_ == State::awaiting_head || state_ == State::receiving)
    platform_.link_close(Link::http);
  if (state_ != State::installing) state_ = State::idle;
}

void Ota::connect() {
  state_ = State::connecting;
  deadline_ = platform_.now_ms() + config_.ota_idle_timeout_ms;
  platform_.link_open(Link::http, url_.host, url_.port, url_.tls);
}

void Ota::on_link_up() {
  if (state_ == State::connecting) request_next();
}

void Ota::request_next() {
  std::uint64_t range = config_.ota_range_bytes > 0 ? config_.ota_range_bytes : size_;
  std::uint64_t last = written_ + range - 1;
  if (last >= size_) last = size_ - 1;
  std::size_t n = build_range_request(head_, sizeof head_, url_, written_, last);
  if (n == 0) return fail("url_too_long");
  state_ = State::awaiting_head;
  head_len_ = 0;
  deadline_ = platform_.now_ms() + config_.ota_idle_timeout_ms;
  ++requests_;
  if (!platform_.link_send(Link::http, reinterpret_cast<const std::uint8_t*>(head_), n)) {
    platform_.link_close(Link::http);
    drop("send failed");
  }
}

void Ota::on_link_bytes(const std::uint8_t* data, std::size_t size) {
  if (state_ != State::awaiting_head && state_ != State::receiving) return;
  deadline_ = platform_.now_ms() + config_.ota_idle_timeout_ms;
  if (state_ == State::awaiting_head) {
    std::size_t room = sizeof head_ - head_len_;
    std::size_t n = size < room ? size : room;
    std::memcpy(head_ + head_len_, data, n);
    std::size_t before = head_len_;
    head_len_ += n;
    std::size_t len = http_head_length(std::string_view(head_, head_len_));
    if (len == 0) {
      if (head_len_ == sizeof head_) fail("http_head_too_large");
      return;
    }
    if (!take_head()) return;
    data += len - before;
    size -= len - before;
  }
  take_body(data, size);
}

// Decides from the response head how the body continues; false when the download ended.
bool Ota::take_head() {
  HttpHead h;
  std::size_t len = http_head_length(std::string_view(head_, head_len_));
  if (!parse_http_head(std::string_view(head_, len), h)) return fail("http_bad_response"), false;
  server_closes_ = h.closes;
  if (h.status >= 500) {
    platform_.link_close(Link::http);
    drop("http 5xx");
    return false;
  }
  if (h.chunked || !h.has_length) return fail("http_no_length"), false;
  if (h.status == 206) {
    if (!h.has_range || h.range_first != written_ || h.range_last >= size_ ||
        (h.range_total != 0 && h.range_total != size_) || h.content_length != h.range_last - h.range_first + 1)
      return fail("http_bad_range"), false;
    body_skip_ = 0;
  } else if (h.status == 200) {
    // A server without range support sends the whole image every time: keep what is new.
    if (h.content_length != size_) return fail("size_mismatch"), false;
    body_skip_ = written_;
  } else {
    char reason[16];
    TextWriter(reason, sizeof reason).add("http_").add_uint(h.status);
    fail(reason);
    return false;
  }
  body_left_ = static_cast<std::uint32_t>(h.content_length);
  state_ = State::receiving;
  if (body_left_ == 0) range_done();
  return state_ == State::receiving;
}

void Ota::take_body(const std::uint8_t* data, std::size_t size) {
  while (size > 0 && state_ == State::receiving) {
    if (body_skip_ > 0) {
      std::size_t n = size < body_skip_ ? size : body_skip_;
      body_skip_ -= static_cast<std::uint32_t>(n);
      body_left_ -= static_cast<std::uint32_t>(n);
      data += n;
      size -= n;
      continue;
    }
    std::size_t n = size < body_left_ ? size : body_left_;
    if (!platform_.slot_write(written_, data, n)) return fail("slot_write");
    written_ += static_cast<std::uint32_t>(n);
    body_left_ -= static_cast<std::uint32_t>(n);
    retries_ = 0;  // progress: the count of drops in a row starts over
    data += n;
    size -= n;
    if (body_left_ == 0) range_done();
    // Anything after a complete body would be a response to a request not yet sent: ignore it.
    if (state_ != State::receiving) return;
  }
}

void Ota::range_done() {
  auto percent = static_cast<std::uint8_t>(std::uint64_t{written_} * 100 / size_);
  if (percent / 10 != last_percent_ / 10 || written_ == size_) {
    last_percent_ = percent;
    char text[8];
    TextWriter(text, sizeof text).add_uint(percent);
    platform_.note(Note::ota_progress, text);
    report("downloading", nullptr, true, false);
  }
  if (written_ == size_) {
    platform_.link_close(Link::http);
    state_ = State::verifying;
    sha_.reset();
    verified_ = 0;
    return;
  }
  if (server_closes_) {
    platform_.link_close(Link::http);
    connect();
  } else {
    request_next();
  }
}

void Ota::on_link_down() {
  if (state_ == State::connecting || state_ == State::awaiting_head || state_ == State::receiving)
    drop("connection lost");
}

void Ota::drop(const char* why) {
  ++drops_;
  if (++retries_ > config_.ota_max_retries) return fail("network");
  platform_.note(Note::ota_retry, why);
  Millis cap = retry_min_ms;
  for (std::uint8_t i = 1; i < retries_ && cap < retry_max_ms; ++i) cap *= 2;
  if (cap > retry_max_ms) cap = retry_max_ms;
  state_ = State::retry_wait;
  deadline_ = platform_.now_ms() + cap / 2 + platform_.random32() % (cap / 2 + 1);
}

void Ota::fail(const char* reason) {
  if (state_ == State::connecting || state_ == State::awaiting_head || state_ == State::receiving)
    platform_.link_close(Link::http);
  state_ = State::failed;
  platform_.note(Note::ota_failed, reason);
  report("failed", reason, false, true);
}

void Ota::verify_step() {
  for (int i = 0; i < verify_chunks_per_tick && verified_ < size_; ++i) {
    std::size_t n = size_ - verified_ < sizeof chunk_ ? size_ - verified_ : sizeof chunk_;
    if (!platform_.slot_read(verified_, chunk_, n)) return fail("slot_read");
    sha_.update(chunk_, n);
    verified_ += static_cast<std::uint32_t>(n);
  }
  if (verified_ < size_) return;
  std::uint8_t digest[Sha256::digest_size];
  sha_.finish(digest);
  if (std::memcmp(digest, expected_, sizeof digest) != 0) return fail("sha256_mismatch");
  state_ = State::installing;
  platform_.note(Note::ota_verified, version_);
  report("verified", nullptr, false, true);
  host_.ota_install(version_);
}

void Ota::tick() {
  Millis now = platform_.now_ms();
  switch (state_) {
    case State::connecting:
    case State::awaiting_head:
    case State::receiving:
      if (now >= deadline_) {
        platform_.link_close(Link::http);
        drop("timeout");
      }
      return;
    case State::retry_wait:
      if (now >= deadline_) connect();
      return;
    case State::verifying: verify_step(); return;
    default: return;
  }
}

Millis Ota::next_wake() const {
  switch (state_) {
    case State::connecting:
    case State::awaiting_head:
    case State::receiving:
    case State::retry_wait: return deadline_;
    case State::verifying: return 0;  // at once: hashing continues step by step
    default: return never;
  }
}

}  // namespace firmware
