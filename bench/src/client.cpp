#include "client.hpp"

#include <fmt/format.h>

#include "bench/stamp.hpp"
#include "broker/codec/decode.hpp"
#include "broker/codec/encode.hpp"
#include "broker/codec/framer.hpp"

namespace bench {

namespace asio = boost::asio;
namespace codec = broker::codec;
using boost::system::error_code;

Client::Client(asio::io_context& io, std::unique_ptr<Link> link, ClientObserver& observer, codec::Connect connect)
    : link_(std::move(link)), observer_(observer), connect_(std::move(connect)), timer_(io) {}

void Client::start(const asio::ip::tcp::endpoint& remote, const asio::ip::address& local, double timeout_seconds) {
  auto self = shared_from_this();
  started_ns = monotonic_ns();
  timer_.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(timeout_seconds * 1e6)));
  timer_.async_wait([self](const error_code& ec) {
    if (!ec && self->state_ == State::connecting) self->fail("timeout");
  });
  link_->open(remote, local, [self](const error_code& ec) {
    if (self->state_ != State::connecting) return;
    if (ec) return self->fail(ec.message());
    self->send(self->connect_);
    self->read();
  });
}

void Client::subscribe(const std::string& filter, std::uint8_t qos) {
  codec::Subscribe s;
  s.packet_id = next_packet_id();
  s.topics.push_back({filter, qos});
  send(s);
}

void Client::publish(std::string_view topic, std::string_view payload, std::uint8_t qos) {
  if (state_ != State::up) return;
  // Written straight from the views: a PUBLISH per message is the hot path of every scenario.
  auto prefix = codec::publish_prefix(qos, false, false, topic.size(), payload.size());
  out_.append(reinterpret_cast<const char*>(prefix.bytes), prefix.size);
  out_.append(topic);
  if (qos) {
    auto id = next_packet_id();
    out_.push_back(static_cast<char>(id >> 8));
    out_.push_back(static_cast<char>(id & 0xFF));
    ++unacked_;
  }
  out_.append(payload);
  flush();
}

void Client::disconnect() {
  if (state_ != State::up) return;
  send(codec::Disconnect{});
  state_ = State::closing;
  flush();
}

void Client::close() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  timer_.cancel();
  link_->close();
}

void Client::fail(const std::string& reason) {
  bool was_open = state_ != State::closed;
  close();
  if (was_open && !reported_) {
    reported_ = true;
    observer_.on_failed(*this, reason);
  }
}

std::uint16_t Client::next_packet_id() {
  if (++packet_id_ == 0) packet_id_ = 1;
  return packet_id_;
}

void Client::send(const codec::Packet& p) {
  if (state_ == State::closed) return;
  codec::encode(p, out_);
  flush();
}

void Client::flush() {
  if (writing_ || out_.empty() || state_ == State::closed) return;
  writing_ = true;
  writing_buf_.clear();
  writing_buf_.swap(out_);
  link_->write(writing_buf_, [self = shared_from_this()](const error_code& ec) {
    self->writing_ = false;
    if (ec) return self->fail(ec.message());
    if (self->state_ == State::closing && self->out_.empty()) return self->close();
    self->flush();
  });
}

void Client::read() {
  link_->read([self = shared_from_this()](const error_code& ec, std::string_view data) {
    if (self->state_ == State::closed) return;
    if (ec) {
      if (self->state_ == State::closing) return self->close();
      return self->fail(ec == asio::error::eof ? "closed by broker" : ec.message());
    }
    self->in_.append(data);
    while (self->state_ != State::closed) {
      std::string_view rest(self->in_.data() + self->in_at_, self->in_.size() - self->in_at_);
      auto f = codec::frame(rest, codec::max_remaining_length + codec::max_fixed_header_size);
      if (f.status == codec::Frame::Status::need_more) break;
      if (f.status == codec::Frame::Status::malformed) return self->fail(codec::to_string(f.error));
      self->in_at_ += f.total();
      self->handle(rest.substr(0, f.total()));
    }
    if (self->in_at_ == self->in_.size()) {
      self->in_.clear();
      self->in_at_ = 0;
    } else if (self->in_at_ > 64 * 1024) {
      self->in_.erase(0, self->in_at_);
      self->in_at_ = 0;
    }
    if (self->state_ != State::closed) self->read();
  });
}

void Client::handle(std::string_view bytes) {
  auto r = codec::decode(bytes, connect_.protocol_level);
  if (!r.ok()) return fail(std::string("bad packet from broker: ") + codec::to_string(r.error));
  if (auto* ack = std::get_if<codec::Connack>(&r.packet)) {
    if (state_ != State::connecting) return fail("unexpected CONNACK");
    if (ack->code != codec::ConnectReturn::accepted)
      return fail(fmt::format("CONNACK refused, code {}", static_cast<int>(ack->code)));
    state_ = State::up;
    arm_keepalive();
    observer_.on_connected(*this);
    return;
  }
  if (auto* p = std::get_if<codec::Publish>(&r.packet)) {
    if (p->qos == 1) send(codec::Ack{codec::PacketType::puback, p->packet_id});
    if (p->qos == 2) send(codec::Ack{codec::PacketType::pubrec, p->packet_id});
    observer_.on_message(*this, *p);
    return;
  }
  if (auto* a = std::get_if<codec::Ack>(&r.packet)) {
    switch (a->type) {
      case codec::PacketType::puback:
      case codec::PacketType::pubcomp:
        if (unacked_) --unacked_;
        observer_.on_published(*this);
        break;
      case codec::PacketType::pubrec: send(codec::Ack{codec::PacketType::pubrel, a->packet_id}); break;
      case codec::PacketType::pubrel: send(codec::Ack{codec::PacketType::pubcomp, a->packet_id}); break;
      default: break;
    }
    return;
  }
  if (auto* s = std::get_if<codec::Suback>(&r.packet)) {
    for (auto code : s->codes)
      if (code == codec::suback_failure) return fail("SUBACK refused");
    observer_.on_subscribed(*this);
  }
}

void Client::arm_keepalive() {
  if (connect_.keepalive == 0) return;
  timer_.expires_after(std::chrono::seconds(connect_.keepalive));
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->state_ != State::up) return;
    self->send(codec::Pingreq{});
    self->arm_keepalive();
  });
}

}  // namespace bench
