#include "server.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <limits>
#include <optional>

#include "broker/forwarded.hpp"
#include "broker/listener.hpp"
#include "broker/log_text.hpp"

namespace http::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
constexpr std::size_t header_limit = 16 * 1024;
// After refusing a request on its header, this much of the unread body is read and dropped (for
// at most a second) so the client sees the answer instead of a reset; then the socket closes.
constexpr std::size_t drain_limit = 256 * 1024;
// A streamed body (a firmware download or upload) moves through one buffer of this size per
// connection: what a connection holds at most of it, whatever the image's size.
constexpr std::size_t chunk_size = 64 * 1024;

// Reads exactly `n` bytes at `offset`; false when the file ends early or fails.
bool read_at(int fd, char* out, std::size_t n, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < n) {
    auto got = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    done += static_cast<std::size_t>(got);
  }
  return true;
}

std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }
}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<ServerState> state, tcp::socket socket, broker::ConnectionSlot slot)
      : state_(std::move(state)), slot_(std::move(slot)), socket_(std::move(socket)), timer_(socket_.get_executor()) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) peer_address_ = ep.address();
    peer_ = ec ? std::string("?") : ep.address().to_string();
  }

  void start() { read_header(true); }

  // The answer to one request: the first call wins, later ones are dropped, and a handler that
  // lost every copy of its Reply without answering still gets the client a 500, not a hang.
  struct ReplyOnce {
    explicit ReplyOnce(std::shared_ptr<Session> s) : session(std::move(s)) {}
    ~ReplyOnce() {
      if (!done.exchange(true)) {
        session->state_->log->error("a handler dropped its request without answering");
        post(error_response(500, "internal", "internal error"));
      }
    }
    void deliver(Response res) {
      if (!done.exchange(true)) post(std::move(res));
    }
    void deliver_file(Response head, FileSlice body) {
      if (done.exchange(true) || session->state_->stopped) return;
      net::post(session->socket_.get_executor(),
                [s = session, head = std::move(head), body = std::move(body)]() mutable {
                  s->write_file(std::move(head), std::move(body));
                });
    }
    void post(Response res) {
      if (session->state_->stopped) return;
      net::post(session->socket_.get_executor(),
                [s = session, res = std::move(res)]() mutable { s->write(std::move(res)); });
    }
    std::shared_ptr<Session> session;
    std::atomic<bool> done{false};
  };

  void close() {
    net::post(socket_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ec;
      self->timer_.cancel();
      self->socket_.close(ec);
    });
  }

 private:
  void arm(std::chrono::milliseconds d) {
    timed_out_ = false;
    timer_.expires_after(d);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      boost::system::error_code ignored;
      self->socket_.cancel(ignored);
    });
  }

  void read_header(bool first) {
    parser_.emplace();
    parser_->header_limit(header_limit);
    // Beast checks Content-Length against the limit while parsing the header; the real limit,
    // which depends on the route, is applied once the header is in (on_header).
    parser_->body_limit((std::numeric_limits<std::uint64_t>::max)());
    auto read = [self = shared_from_this()] {
      self->arm(self->state_->settings.read_timeout);
      bhttp::async_read_header(self->socket_, self->buffer_, *self->parser_,
                               [self](boost::system::error_code ec, std::size_t) { self->on_header(ec); });
    };
    // Between keep-alive requests the idle timeout applies only until the next request's first
    // byte; from there it has read_timeout like any request (a slow header is slow).
    if (first || buffer_.size() > 0) return read();
    arm(state_->settings.idle_timeout);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this(), read](boost::system::error_code ec) {
      if (ec) {
        self->timer_.cancel();
        return self->shutdown();  // idle keep-alive connection ended or timed out
      }
      read();
    });
  }

  void on_header(boost::system::error_code ec) {
    started_ = std::chrono::steady_clock::now();
    if (ec) {
      timer_.cancel();
      bool partial = parser_->got_some();
      if (!partial) return shutdown();  // idle keep-alive connection ended or timed out
      if (timed_out_) return fail(408, "timeout", "request header not received in time");
      if (ec == bhttp::error::header_limit) return fail(431, "header_too_large", "request header too large");
      return fail(400, "bad_request", "malformed HTTP request");
    }
    const auto& req = parser_->get();
    method_ = std::string(req.method_string());
    target_ = std::string(req.target());
    source_ = source_address(req);
    auto admission = state_->settings.admit(req);
    if (admission.refuse) {
      timer_.cancel();
      keep_alive_ = false;
      draining_ = true;
      return write(std::move(*admission.refuse));
    }
    std::uint64_t limit = admission.body_limit;
    if (auto len = parser_->content_length(); len && *len > limit)
      return fail(413, "body_too_large", "request body exceeds " + std::to_string(limit) + " bytes");
    parser_->body_limit(limit);
    // The header's time counts against the same budget as the body: a slow request is slow.
    auto read_body = [self = shared_from_this(), sink = std::move(admission.sink)]() mutable {
      if (sink) return self->read_into(std::move(sink));
      bhttp::async_read(self->socket_, self->buffer_, *self->parser_,
                        [self](boost::system::error_code ec, std::size_t) { self->on_body(ec); });
    };
    // Admitted: a client that waits for "100 Continue" before sending its body gets it now (a
    // refused one got its answer instead and never sends the body).
    if (!boost::beast::iequals(req[bhttp::field::expect], "100-continue")) return read_body();
    auto go_on = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
    bhttp::async_write(socket_, *go_on,
                       [self = shared_from_this(), go_on, read_body = std::move(read_body)](
                           boost::system::error_code ec, std::size_t) mutable {
                         if (ec) return self->shutdown();
                         read_body();
                       });
  }

  void on_body(boost::system::error_code ec) {
    timer_.cancel();
    if (ec) return body_failed(ec);
    dispatch(parser_->release(), nullptr);
  }

  void body_failed(boost::system::error_code ec) {
    timer_.cancel();
    if (timed_out_) return fail(408, "timeout", "request body not received in time");
    if (ec == bhttp::error::body_limit) return fail(413, "body_too_large", "request body too large");
    if (ec == net::error::eof || ec == bhttp::error::end_of_stream || ec == net::error::connection_reset)
      return shutdown();
    return fail(400, "bad_request", "malformed HTTP request body");
  }

  // The body goes to `sink` one chunk at a time: the next chunk is read from the socket only once
  // the sink has taken the last, so a fast sender waits on the disk instead of filling memory.
  void read_into(std::shared_ptr<BodySink> sink) {
    sink_ = std::move(sink);
    streamed_.emplace(std::move(*parser_));  // the header only: no body byte was parsed yet
    parser_.reset();
    chunk_.resize(chunk_size);
    read_chunk_into_sink();
  }

  void read_chunk_into_sink() {
    // The timer may have fired while the sink wrote, with no read pending for it to cancel.
    if (timed_out_) {
      end_streaming();
      return body_failed(net::error::operation_aborted);
    }
    auto& body = streamed_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    bhttp::async_read(socket_, buffer_, *streamed_,
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec == bhttp::error::need_buffer) ec = {};  // the chunk is full
                        if (ec) {
                          self->end_streaming();
                          return self->body_failed(ec);
                        }
                        self->on_chunk_read();
                      });
  }

  void on_chunk_read() {
    std::size_t n = chunk_.size() - streamed_->get().body().size;
    bool last = streamed_->is_done();
    auto next = [self = shared_from_this(), last] {
      if (!last) return self->read_chunk_into_sink();
      self->timer_.cancel();
      Request req;
      req.base() = std::move(self->streamed_->get().base());
      auto sink = std::move(self->sink_);
      self->end_streaming();
      self->dispatch(std::move(req), std::move(sink));
    };
    if (n == 0) return next();
    sink_->write(chunk_.data(), n, [self = shared_from_this(), next](bool ok) {
      if (self->state_->stopped) return;
      net::post(self->socket_.get_executor(), [self, next, ok] {
        if (ok) return next();
        self->end_streaming();
        self->timer_.cancel();
        self->fail(500, "storage_error", "cannot store the request body");
      });
    });
  }

  // A streamed body or response is over: its parser, serializer, file and chunk go.
  void end_streaming() {
    sink_.reset();
    streamed_.reset();
    file_sr_.reset();
    file_res_.reset();
    file_ = FileSlice{};
    file_sent_ = 0;
    std::vector<char>().swap(chunk_);
  }

  void dispatch(Request req, std::shared_ptr<BodySink> sink) {
    Exchange ex;
    ex.req = std::move(req);
    ex.sink = std::move(sink);
    ex.source = source_;
    auto target = std::string(ex.req.target());
    auto q = target.find('?');
    ex.path = target.substr(0, q);
    if (q != std::string::npos) ex.query = target.substr(q + 1);
    keep_alive_ = ex.req.keep_alive();
    auto state = state_;
    auto once = std::make_shared<ReplyOnce>(shared_from_this());
    Reply reply = [once](Response res) { once->deliver(std::move(res)); };
    ex.reply_file = [once](Response head, FileSlice body) { once->deliver_file(std::move(head), std::move(body)); };
    try {
      state->settings.handler(std::move(ex), std::move(reply));
    } catch (const std::exception& e) {
      // The Reply it held is gone with the stack: ReplyOnce answers 500 unless it already did.
      state_->log->error("handler threw: {}", e.what());
    }
  }

  std::string source_address(const Request& req) const {
    if (!peer_address_) return peer_;
    auto a = broker::forwarded_address(*peer_address_, sv(req["X-Forwarded-For"]), sv(req["X-Real-IP"]),
                                       state_->settings.trusted_proxies);
    return a ? a->to_string() : peer_;
  }

  void fail(unsigned status, std::string_view code, std::string message) {
    keep_alive_ = false;
    draining_ = true;
    if (method_.empty()) method_ = "-";
    if (target_.empty()) target_ = "-";
    if (source_.empty()) source_ = peer_;
    write(error_response(status, code, message));
  }

  void log_response(unsigned status, std::uint64_t bytes) {
    auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_).count();
    state_->log->info("{} {} {} {} {}B {:.1f}ms", broker::log_text(source_.empty() ? peer_ : source_),
                      broker::log_text(method_), broker::log_text(target_path()), status, bytes, us / 1000.0);
    if (state_->settings.on_response) state_->settings.on_response(status);
  }

  void write(Response res) {
    res_ = std::move(res);
    res_.keep_alive(keep_alive_);
    log_response(res_.result_int(), res_.body().size());
    arm(state_->settings.read_timeout);
    bhttp::async_write(socket_, res_,
                       [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->written(ec); });
  }

  void written(boost::system::error_code ec) {
    timer_.cancel();
    res_ = {};
    if (!ec && draining_) return drain();
    if (ec || !keep_alive_) return shutdown();
    method_.clear();
    target_.clear();
    source_.clear();
    read_header(false);
  }

  // The header, then one chunk at a time: read on the body's executor, written, the next read.
  // Each chunk gets read_timeout to leave: a client that stops reading is cut off there.
  void write_file(Response head, FileSlice body) {
    file_ = std::move(body);
    file_res_.emplace();
    file_res_->base() = std::move(head.base());
    file_res_->keep_alive(keep_alive_);
    file_res_->content_length(file_.length);
    file_res_->body().data = nullptr;
    file_res_->body().more = file_.length > 0;
    log_response(file_res_->result_int(), file_.length);
    file_sr_.emplace(*file_res_);
    chunk_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, file_.length)));
    arm(state_->settings.read_timeout);
    bhttp::async_write_header(socket_, *file_sr_,
                              [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                                self->timer_.cancel();
                                if (ec) return self->file_written(ec);
                                self->read_file_chunk();
                              });
  }

  void read_file_chunk() {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_.size(), file_.length - file_sent_));
    // Until the read posts back, the session touches neither chunk_ nor file_.
    net::post(file_.disk, [self = shared_from_this(), n, at = file_.first + file_sent_] {
      bool ok = read_at(*self->file_.fd, self->chunk_.data(), n, at);
      if (self->state_->stopped) return;  // a handler queued on a stopped io_context would keep the session
      net::post(self->socket_.get_executor(), [self, n, ok] { self->write_file_chunk(n, ok); });
    });
  }

  void write_file_chunk(std::size_t n, bool ok) {
    if (!ok) {
      // The header is out: closing early is the only way left to tell the client.
      state_->log->error("{} {}: the file ended or failed after {} of {} bytes", broker::log_text(method_),
                         broker::log_text(target_path()), file_sent_, file_.length);
      return file_written(net::error::broken_pipe);
    }
    auto& body = file_res_->body();
    body.data = n ? chunk_.data() : nullptr;
    body.size = n;
    body.more = file_sent_ + n < file_.length;
    file_sent_ += n;
    if (file_.on_chunk) file_.on_chunk(n);
    arm(state_->settings.read_timeout);
    bhttp::async_write(socket_, *file_sr_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->timer_.cancel();
      if (ec == bhttp::error::need_buffer) ec = {};  // this chunk is out, more follow
      if (!ec && self->file_sent_ < self->file_.length) return self->read_file_chunk();
      self->file_written(ec);
    });
  }

  void file_written(boost::system::error_code ec) {
    end_streaming();
    written(ec);
  }

  // The answer to a refused request is out: stop sending, read and drop what the client still
  // sends (bounded in bytes and time), then close.
  void drain() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm(std::chrono::milliseconds(1000));
    drain_some();
  }

  void drain_some() {
    if (drained_ >= drain_limit) return shutdown();
    scratch_.resize(16 * 1024);
    socket_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec) return self->shutdown();
                              self->drain_some();
                            });
  }

  // The path only: query strings may carry codes or tokens that do not belong in logs.
  std::string target_path() const {
    auto q = target_.find('?');
    return q == std::string::npos ? target_ : target_.substr(0, q) + "?...";
  }

  void shutdown() {
    boost::system::error_code ec;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
  }

  std::shared_ptr<ServerState> state_;
  broker::ConnectionSlot slot_;  // before socket_: given back once the socket is closed
  tcp::socket socket_;
  net::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Response res_;
  // A streamed request body (parser_ turned into this after admission) and where it goes.
  std::optional<bhttp::request_parser<bhttp::buffer_body>> streamed_;
  std::shared_ptr<BodySink> sink_;
  // A streamed response: the message (header and the current chunk), its serializer, the file.
  std::optional<bhttp::response<bhttp::buffer_body>> file_res_;
  std::optional<bhttp::response_serializer<bhttp::buffer_body>> file_sr_;
  FileSlice file_;
  std::uint64_t file_sent_ = 0;
  std::vector<char> chunk_;
  std::string peer_, source_, method_, target_;
  std::optional<net::ip::address> peer_address_;
  std::vector<char> scratch_;
  std::size_t drained_ = 0;
  bool draining_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool timed_out_ = false;
  bool keep_alive_ = true;
};

Server::Server(ServerSettings settings, std::shared_ptr<spdlog::logger> log)
    : state_(std::make_shared<ServerState>()), acceptor_(state_->io), backoff_(state_->io) {
  state_->settings = std::move(settings);
  state_->log = std::move(log);
  auto& limiter = state_->settings.connections;
  if (!limiter) limiter = std::make_shared<broker::ConnectionLimiter>(broker::ConnectionLimits{});
  limiter_index_ = limiter->add_listener(state_->settings.listener_name);
}

Server::~Server() { stop(); }

void Server::start(const std::optional<tcp::endpoint>& bind, unsigned threads) {
  if (bind) {
    acceptor_.open(bind->protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(*bind);
    acceptor_.listen(net::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
  }
  guard_ = std::make_unique<net::executor_work_guard<net::io_context::executor_type>>(state_->io.get_executor());
  if (bind) accept();
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([state = state_] { state->io.run(); });
}

// The accept loop runs on the acceptor's own chain (one accept outstanding at a time), like
// broker::Listener: admitted by the limiter or closed at once, and a backoff instead of a spin
// when out of descriptors (the HTTP acceptor spun at 3 million log lines in 4 s there).
void Server::accept() {
  acceptor_.async_accept(net::make_strand(state_->io), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      if (auto n = state_->settings.connections->accept_failed(limiter_index_))
        state_->log->warn("http listener: accept failed {} time(s) in the last second: {}", n, ec.message());
      auto wait = broker::accept_backoff(ec, backoff_delay_);
      if (wait.count() == 0) return accept();
      backoff_.expires_after(wait);
      backoff_.async_wait([this](const boost::system::error_code& e) {
        if (!e && acceptor_.is_open()) accept();
      });
      return;
    }
    backoff_delay_ = std::chrono::milliseconds(0);
    admit(std::move(socket));
    accept();
  });
}

void Server::admit(tcp::socket socket) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return;
  auto& settings = state_->settings;
  auto d = settings.connections->admit(limiter_index_, peer.address(), !settings.uncounted.contains(peer.address()));
  if (d.refused) {
    if (d.log_count)
      broker::log_refusals(*state_->log, settings.listener_name, *d.refused, d.log_count, peer.address().to_string());
    socket.close(ec);
    return;
  }
  auto session = std::make_shared<Session>(state_, std::move(socket), std::move(d.slot));
  {
    std::lock_guard lock(state_->sessions_mutex);
    for (auto it = state_->sessions.begin(); it != state_->sessions.end();)
      it = it->expired() ? state_->sessions.erase(it) : std::next(it);
    state_->sessions.insert(session);
  }
  session->start();
}

void Server::stop() {
  if (threads_.empty()) return;
  state_->stopped = true;
  net::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    backoff_.cancel();
  });
  {
    std::lock_guard lock(state_->sessions_mutex);
    for (auto& w : state_->sessions)
      if (auto s = w.lock()) s->close();
    state_->sessions.clear();
  }
  guard_.reset();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace http::detail
