#include "redis_connection.hpp"

#include <spdlog/spdlog.h>
#include "broker/log_text.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

namespace storage::detail {
namespace {

RedisReply copy_reply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = RedisReply::Type::string; break;
    case REDIS_REPLY_STATUS: out.type = RedisReply::Type::status; break;
    case REDIS_REPLY_ERROR: out.type = RedisReply::Type::error; break;
    case REDIS_REPLY_INTEGER: out.type = RedisReply::Type::integer; break;
    case REDIS_REPLY_ARRAY: out.type = RedisReply::Type::array; break;
    default: out.type = RedisReply::Type::nil; break;
  }
  if (r->str) out.str.assign(r->str, r->len);
  out.integer = r->integer;
  for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
  return out;
}

// privdata carries the command id, not a pointer: a reply for a timed-out command finds nothing.
void* as_privdata(std::uint64_t id) { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)); }
std::uint64_t from_privdata(void* p) { return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(p)); }

}  // namespace

RedisConnection::RedisConnection(boost::asio::io_context& io, RedisConfig config, int db,
                                 std::shared_ptr<spdlog::logger> log)
    : io_(io),
      strand_(boost::asio::make_strand(io)),
      config_(std::move(config)),
      db_(db),
      log_(std::move(log)),
      resolver_(strand_),
      retry_timer_(strand_),
      connect_timer_(strand_),
      backoff_(config_.reconnect_min) {
  auto colon = config_.server.rfind(':');
  host_ = config_.server.substr(0, colon);
  port_ = colon == std::string::npos ? 6379 : std::atoi(config_.server.c_str() + colon + 1);
}

RedisConnection::~RedisConnection() {
  // stop() normally freed the context on the strand; this covers an io_context that was never run.
  if (ac_) {
    ac_->data = nullptr;
    redisAsyncFree(ac_);
  }
}

void RedisConnection::start() {
  boost::asio::post(strand_, [self = shared_from_this()] { self->connect(); });
}

void RedisConnection::stop() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->retry_timer_.cancel();
    self->resolver_.cancel();
    self->teardown("shutting down");
  });
}

void RedisConnection::abandon() {
  stopped_ = true;
  ready_ = false;
  if (ac_) {
    ac_->data = nullptr;  // hiredis calls its callbacks on free: they must find no connection
    auto* ac = ac_;
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
  pending_.clear();
}

void RedisConnection::command(std::vector<std::string> argv, Done done) {
  boost::asio::post(strand_, [self = shared_from_this(), argv = std::move(argv), done = std::move(done)]() mutable {
    // During the very first connect a call waits (pipelined behind AUTH and SELECT, bounded
    // by its timeout), so work issued at start-up is not refused just for being early. Once
    // the server has been lost, calls fail at once until it is back.
    bool first_connect = !self->ever_ready_ && self->ac_ && !self->stopped_;
    if (!self->ready_ && !first_connect) {
      done(Result<RedisReply>::failure("redis db " + std::to_string(self->db_) + " unavailable"));
      return;
    }
    self->send(std::move(argv), std::move(done));
  });
}

void RedisConnection::connect() {
  if (stopped_) return;
  boost::system::error_code ec;
  boost::asio::ip::make_address(host_, ec);
  if (!ec) return connect_to(host_);
  // hiredis would resolve a name with a blocking getaddrinfo on this I/O thread; Asio does not.
  resolver_.async_resolve(
      host_, std::to_string(port_),
      [self = shared_from_this()](boost::system::error_code ec, boost::asio::ip::tcp::resolver::results_type results) {
        if (self->stopped_) return;
        if (ec || results.empty()) {
          self->log_->warn("redis: cannot resolve {}: {}", self->host_, ec.message());
          return self->schedule_reconnect();
        }
        self->connect_to(results.begin()->endpoint().address().to_string());
      });
}

void RedisConnection::connect_to(const std::string& ip) {
  ac_ = redisAsyncConnect(ip.c_str(), port_);
  if (!ac_ || ac_->err) {
    log_->warn("redis: connect to {}:{} failed: {}", ip, port_, ac_ ? ac_->errstr : "out of memory");
    if (ac_) redisAsyncFree(ac_);
    ac_ = nullptr;
    return schedule_reconnect();
  }
  ac_->data = this;
  RedisAsioAdapter::attach(ac_, io_, strand_);
  redisAsyncSetDisconnectCallback(ac_, &RedisConnection::on_disconnect);
  redisAsyncSetConnectCallback(ac_, &RedisConnection::on_connect);
  handshake();
  connect_timer_.expires_after(config_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->ready_ || !self->ac_) return;
    self->lost("connect timed out");
  });
}

// Queued behind the connect: AUTH (when configured) then SELECT; ready once SELECT answers OK.
void RedisConnection::handshake() {
  auto check = [self = shared_from_this()](const char* step) {
    return [self, step](Result<RedisReply> r) {
      if (!r.ok) return;  // the connection is already being torn down
      if (r.value.type == RedisReply::Type::error) {
        self->log_->error("redis: {} refused: {}", step, broker::log_text(r.value.str));
        boost::asio::post(self->strand_, [self] { self->lost("handshake refused"); });
        return;
      }
      if (std::string(step) == "SELECT") {
        self->ready_ = true;
        self->ever_ready_ = true;
        self->connect_timer_.cancel();
        self->backoff_ = self->config_.reconnect_min;
        self->down_logged_ = false;
        self->log_->info("redis: connected to {} db {}", self->config_.server, self->db_);
      }
    };
  };
  if (!config_.password.empty()) send({"AUTH", config_.password}, check("AUTH"));
  send({"SELECT", std::to_string(db_)}, check("SELECT"));
}

void RedisConnection::send(std::vector<std::string> argv, Done done) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  std::uint64_t id = next_id_++;
  if (redisAsyncCommandArgv(ac_, &RedisConnection::on_reply, as_privdata(id), static_cast<int>(args.size()),
                            args.data(), lens.data()) != REDIS_OK) {
    done(Result<RedisReply>::failure("redis: command not sent"));
    return;
  }
  Pending p{std::move(done), std::make_unique<boost::asio::steady_timer>(strand_)};
  p.timer->expires_after(config_.command_timeout);
  p.timer->async_wait([self = shared_from_this(), id](boost::system::error_code ec) {
    if (ec || !self->pending_.count(id)) return;
    self->finish(id, Result<RedisReply>::failure("redis command timed out"));
    // A server that stops answering is treated as gone: the others fail now, not one by one.
    self->lost("command timed out");
  });
  pending_.emplace(id, std::move(p));
}

void RedisConnection::finish(std::uint64_t id, Result<RedisReply> r) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Done done = std::move(it->second.done);
  it->second.timer->cancel();
  pending_.erase(it);
  done(std::move(r));
}

void RedisConnection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (!self) return;
  std::uint64_t id = from_privdata(privdata);
  if (!reply) return self->finish(id, Result<RedisReply>::failure("redis connection lost"));
  self->finish(id, Result<RedisReply>::success(copy_reply(static_cast<redisReply*>(reply))));
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (!self || status == REDIS_OK) return;
  // hiredis frees the context itself after a failed connect and calls no disconnect callback.
  std::string why = ac->errstr;
  self->ac_ = nullptr;
  self->lost(why);
}

void RedisConnection::on_disconnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (!self) return;
  std::string why = status == REDIS_OK ? "closed" : ac->errstr;
  self->ac_ = nullptr;  // hiredis frees it when this returns
  self->lost(why);
}

// Frees the context: hiredis fails every pending callback (reply null), then calls
// on_disconnect. Must not be called from inside a hiredis callback; lost() takes care of that.
void RedisConnection::teardown(const std::string& why) {
  ready_ = false;
  connect_timer_.cancel();
  if (ac_) {
    auto* ac = ac_;
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
  // Commands whose reply hiredis never tracked (or already dropped) fail too.
  while (!pending_.empty()) finish(pending_.begin()->first, Result<RedisReply>::failure("redis: " + why));
}

void RedisConnection::lost(const std::string& why) {
  ready_ = false;
  if (stopped_) return;  // stop() tears down itself
  if (!down_logged_) {
    log_->warn("redis: db {} down ({}); retrying with backoff", db_, why);
    down_logged_ = true;
  }
  // Defer: we may be inside a hiredis callback, where freeing the context is not allowed.
  boost::asio::post(strand_, [self = shared_from_this(), why] {
    self->teardown(why);
    self->schedule_reconnect();
  });
}

void RedisConnection::schedule_reconnect() {
  if (stopped_ || retry_scheduled_) return;  // one retry at a time, however many errors
  retry_scheduled_ = true;
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, config_.reconnect_max);
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->retry_scheduled_ = false;
    if (ec || self->stopped_ || self->ac_) return;
    self->connect();
  });
}

}  // namespace storage::detail
