#include "broker/connection.hpp"

#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"
#include "broker/codec/decode.hpp"
#include "broker/codec/encode.hpp"
#include "broker/codec/framer.hpp"
#include "broker/log_text.hpp"

namespace broker {

using codec::ConnectReturn;

// One queued write: a control packet's bytes, or a PUBLISH as [prefix][topic][id][payload] with
// topic and payload shared with every other subscriber of the same message.
struct Connection::OutItem {
  MessagePtr message;
  std::string bytes;
  std::uint8_t packet_id[2] = {0, 0};
  bool has_packet_id = false;

  std::size_t size() const {
    return bytes.size() + (has_packet_id ? 2 : 0) + (message ? message->topic.size() + message->payload.size() : 0);
  }
};

// Writes in progress: `queue` waits for the transport, `writing` is with it and stays alive until
// the write completes.
struct Connection::Writes {
  std::vector<OutItem> queue;
  std::vector<OutItem> writing;
  std::size_t bytes = 0;
};

namespace {

bool publishes_will(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::client_disconnect:
    case DisconnectReason::taken_over:
    case DisconnectReason::shutdown:
    case DisconnectReason::connect_timeout:
    case DisconnectReason::connect_refused: return false;
    default: return true;
  }
}

std::string generated_client_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("sakura-{:016x}", rng());
}

}  // namespace

Connection::Connection(Broker& broker, unsigned worker, std::unique_ptr<Transport> transport)
    : broker_(broker),
      transport_(std::move(transport)),
      worker_(static_cast<std::uint16_t>(worker)),
      clean_session_(true),
      reading_(false),
      paused_(false),
      flush_pending_(false) {
  last_activity_ = broker_.clock().now();
  info_.listener = transport_->kind();
}

Connection::~Connection() = default;

void Connection::start() {
  info_.address = transport_->remote_address();
  broker_.register_connection(worker_, this);
  read();
}

void Connection::read() {
  if (reading_ || paused_ || state_ == State::closed || state_ == State::closing) return;
  reading_ = true;
  transport_->async_read([self = shared_from_this()](const boost::system::error_code& ec, std::string_view data) {
    self->reading_ = false;
    if (ec) {
      self->close(DisconnectReason::network_error, ec.message());
      return;
    }
    self->on_bytes(data);
    self->read();
  });
}

void Connection::on_bytes(std::string_view data) {
  count(Stat::bytes_received, data.size());
  if (!partial_) {
    auto used = consume(data);
    if (state_ != State::closed && used < data.size()) partial_ = std::make_unique<std::string>(data.substr(used));
    return;
  }
  partial_->append(data);
  consume_partial();
}

void Connection::consume_partial() {
  auto used = consume(*partial_);
  if (!partial_) return;  // closed meanwhile
  partial_->erase(0, used);
  if (partial_->empty()) partial_.reset();  // an idle connection holds no buffer
}

std::size_t Connection::consume(std::string_view data) {
  std::size_t pos = 0;
  auto& opt = broker_.options();
  while (state_ == State::awaiting_connect || state_ == State::connected) {
    // Before authentication only a CONNECT is read, and it is smaller: a client dribbling a
    // 1 MB one is cut when its header arrives, not after holding the bytes for connect_timeout.
    bool first = state_ == State::awaiting_connect;
    auto max = first ? std::min(opt.max_connect_size, opt.max_packet_size) : opt.max_packet_size;
    auto f = codec::frame(data.substr(pos), max);
    if (f.status == codec::Frame::Status::need_more) break;
    if (f.status == codec::Frame::Status::malformed) {
      if (first && f.error == codec::Error::packet_too_large) count(Stat::connects_too_large);
      close(DisconnectReason::protocol_error, codec::to_string(f.error));
      break;
    }
    auto packet = data.substr(pos, f.total());
    pos += f.total();
    handle(packet);
  }
  return pos;
}

void Connection::handle(std::string_view bytes) {
  last_activity_ = broker_.clock().now();
  auto result = codec::decode(bytes, info_.protocol_level);
  if (!result.ok()) {
    if (state_ == State::awaiting_connect && result.error == codec::Error::bad_protocol_level)
      return refuse(ConnectReturn::unacceptable_protocol, "unsupported protocol level");
    count(Stat::protocol_errors);
    return close(DisconnectReason::protocol_error, codec::to_string(result.error));
  }
  auto type = codec::type_of(result.packet);
  if (state_ == State::awaiting_connect && type != codec::PacketType::connect)
    return close(DisconnectReason::protocol_error, "first packet is not CONNECT");
  switch (type) {
    case codec::PacketType::connect:
      if (state_ != State::awaiting_connect) return close(DisconnectReason::protocol_error, "second CONNECT");
      return on_connect(std::get<codec::Connect>(std::move(result.packet)));
    case codec::PacketType::publish: return on_publish(std::get<codec::Publish>(std::move(result.packet)));
    case codec::PacketType::puback:
      return session_->on_puback(std::get<codec::Ack>(result.packet).packet_id, broker_.options());
    case codec::PacketType::pubrec: return session_->on_pubrec(std::get<codec::Ack>(result.packet).packet_id);
    case codec::PacketType::pubrel: {
      auto id = std::get<codec::Ack>(result.packet).packet_id;
      // Durable before PUBCOMP: the client may reuse the id at once, and a restart that still
      // remembered it would take the new message for a duplicate.
      bool appended = session_->end_incoming_qos2(id);
      return acknowledge(codec::Ack{codec::PacketType::pubcomp, id}, appended);
    }
    case codec::PacketType::pubcomp:
      return session_->on_pubcomp(std::get<codec::Ack>(result.packet).packet_id, broker_.options());
    case codec::PacketType::subscribe: return on_subscribe(std::get<codec::Subscribe>(std::move(result.packet)));
    case codec::PacketType::unsubscribe: return on_unsubscribe(std::get<codec::Unsubscribe>(std::move(result.packet)));
    case codec::PacketType::pingreq: return send_packet(codec::Pingresp{});
    case codec::PacketType::disconnect: return close(DisconnectReason::client_disconnect);
    default: return close(DisconnectReason::protocol_error, fmt::format("{} from a client", codec::to_string(type)));
  }
}

void Connection::on_connect(codec::Connect&& c) {
  info_.protocol_level = c.protocol_level;
  // A client asking for no keepalive or a longer one gets max_keepalive (options.hpp): without
  // it, a peer that vanished without a FIN held its connection and session forever.
  auto max_keepalive = broker_.options().max_keepalive;
  keepalive_ = max_keepalive > 0 && (c.keepalive == 0 || c.keepalive > max_keepalive) ? max_keepalive : c.keepalive;
  if (c.client_id.empty()) {
    // MQTT 3.1 requires an id; 3.1.1 allows none only for a clean session [MQTT-3.1.3-7/8].
    if (!c.clean_session || c.protocol_level == codec::protocol_v31)
      return refuse(ConnectReturn::identifier_rejected, "empty client id");
    c.client_id = generated_client_id();
  }
  if (c.client_id.size() > broker_.options().max_client_id_length)
    return refuse(ConnectReturn::identifier_rejected, "client id too long");
  info_.client_id = std::move(c.client_id);
  info_.username = std::move(c.username);
  if (auto cn = transport_->certificate_username()) info_.username = std::move(cn);
  clean_session_ = c.clean_session;
  if (c.will && !within_limits(c.will->topic, broker_.options().topics)) {
    count(Stat::topics_rejected);
    return close(DisconnectReason::protocol_error, "will topic over limits.max_topic_levels or max_topic_length");
  }
  if (c.will) will_ = make_message(std::move(c.will->topic), std::move(c.will->payload), c.will->qos, c.will->retain);
  state_ = State::authenticating;
  paused_ = true;
  auto* auth = broker_.authenticator();
  if (!auth) return on_auth(AuthResult{ConnectReturn::accepted, false, nullptr}, auth_attempt_);
  AuthRequest request{info_, std::move(c.password)};
  auth->authenticate(request, [self = shared_from_this(), attempt = auth_attempt_](AuthResult r) {
    auto& broker = self->broker_;
    broker.post(self->worker_, [self, r = std::move(r), attempt]() mutable { self->on_auth(std::move(r), attempt); });
  });
}

void Connection::on_auth(AuthResult result, std::uint16_t attempt) {
  if (attempt != auth_attempt_ || state_ != State::authenticating) return;  // timed out or closed
  if (result.code != ConnectReturn::accepted) return refuse(result.code, "authentication failed");
  info_.superuser = result.superuser;
  acl_ = std::move(result.acl);
  broker_.open_session(
      info_.client_id, info_.username, clean_session_,
      [self = shared_from_this()](std::shared_ptr<Session> s, bool present) {
        self->on_session(std::move(s), present);
      },
      result.owns_client_id);
}

void Connection::on_session(std::shared_ptr<Session> s, bool present) {
  if (!s) return refuse(ConnectReturn::not_authorized, "client id belongs to another user");
  if (state_ != State::authenticating) {  // closed while the session was being handed over
    broker_.session_closed(s);
    return;
  }
  session_ = std::move(s);
  state_ = State::connected;
  count(Stat::clients_connected);
  count(Stat::clients_total);
  send_packet(codec::Connack{present, ConnectReturn::accepted});
  broker_.log().info("connected client={} user={} addr={} via={} keepalive={}s clean={} present={}",
                     log_text(info_.client_id), log_text(info_.username.value_or("-")), log_text(info_.address),
                     info_.listener, keepalive_, bool(clean_session_), present);
  for (auto& o : broker_.observers()) o->on_connected(info_);
  // After the connected observers: if what the session resends closes this connection, the
  // disconnected ones follow them, never the other way round.
  session_->attach(this, broker_.options());
  if (state_ != State::connected) return;
  paused_ = false;
  if (partial_) consume_partial();
  read();
}

void Connection::refuse(ConnectReturn code, const char* why) {
  count(Stat::connect_refused);
  broker_.log().info("refused client={} user={} addr={} code={} reason={}", log_text(info_.client_id),
                     log_text(info_.username.value_or("-")), log_text(info_.address), static_cast<int>(code), why);
  will_.reset();
  ++auth_attempt_;
  send_packet(codec::Connack{false, code});
  state_ = State::closing;
  last_activity_ = broker_.clock().now();
  if (!writes_) close(DisconnectReason::connect_refused, why);
}

void Connection::on_publish(codec::Publish&& p) {
  // 3.1.1 has no way to refuse one PUBLISH, and a client sending one this deep or long is not a
  // lock or a phone of ours.
  if (!within_limits(p.topic, broker_.options().topics)) {
    count(Stat::topics_rejected);
    return close(DisconnectReason::protocol_error, "topic over limits.max_topic_levels or max_topic_length");
  }
  auto id = p.packet_id;
  auto qos = p.qos;
  bool duplicate = qos == 2 && !session_->begin_incoming_qos2(id);
  bool appended = qos == 2 && !duplicate && session_->store();
  if (!duplicate) {
    count(Stat::messages_received);
    auto verdict = authorize(p.topic, p.retain);
    if (verdict != PublishVerdict::deny) {
      bool retain = p.retain && verdict == PublishVerdict::allow;
      auto m = make_message(std::move(p.topic), std::move(p.payload), qos, retain);
      for (auto& o : broker_.observers()) o->on_publish(info_, m);
      appended |= broker_.route(m);
    } else {
      // 3.1.1 has no negative acknowledgement: drop, and still acknowledge below.
      count(Stat::publish_denied);
      broker_.log().debug("publish denied client={} topic={}", log_text(info_.client_id), log_text(p.topic));
    }
  }
  if (qos == 1) acknowledge(codec::Ack{codec::PacketType::puback, id}, appended);
  if (qos == 2) acknowledge(codec::Ack{codec::PacketType::pubrec, id}, appended);
}

PublishVerdict Connection::authorize(std::string_view topic, bool retain) const {
  if (!info_.superuser && acl_ && !acl_->allow_publish(topic)) return PublishVerdict::deny;
  auto* guard = broker_.publish_guard();
  return guard ? guard->check(info_, topic, retain) : PublishVerdict::allow;
}

void Connection::acknowledge(codec::Ack ack, bool appended) {
  auto* store = broker_.persistence();
  // The common case (nothing persisted, nothing held) costs no barrier and no allocation.
  if (!store || (!appended && !held_acks_)) return send_packet(ack);
  if (!held_acks_) held_acks_ = std::make_unique<std::deque<HeldAck>>();
  held_acks_->push_back({ack, appended});
  if (!appended) return;  // queued behind an earlier one that waits: acknowledgements keep order
  store->barrier([weak = weak_from_this(), &broker = broker_, worker = worker_] {
    broker.post(worker, [weak] {
      if (auto self = weak.lock()) self->on_durable();
    });
  });
}

void Connection::on_durable() {
  if (!held_acks_) return;  // closed meanwhile
  // Barriers complete in call order, so this one is the oldest still waiting.
  for (auto& h : *held_acks_) {
    if (h.waiting) {
      h.waiting = false;
      break;
    }
  }
  while (held_acks_ && !held_acks_->empty() && !held_acks_->front().waiting) {
    auto ack = held_acks_->front().ack;
    held_acks_->pop_front();
    send_packet(ack);  // may close the connection (write cap), which drops held_acks_
  }
  if (held_acks_ && held_acks_->empty()) held_acks_.reset();
}

void Connection::on_subscribe(codec::Subscribe&& s) {
  codec::Suback ack{s.packet_id, {}};
  ack.codes.reserve(s.topics.size());
  for (auto& t : s.topics) {
    bool allowed = info_.superuser || !acl_ || acl_->allow_subscribe(t.filter);
    if (allowed && broker_.subscribe(session_, t.filter, t.qos)) {
      ack.codes.push_back(t.qos);
      broker_.log().debug("subscribed client={} filter={} qos={}", log_text(info_.client_id), log_text(t.filter),
                          t.qos);
    } else {
      if (!allowed) count(Stat::subscribe_denied);
      ack.codes.push_back(codec::suback_failure);
    }
  }
  send_packet(ack);
  // Retained messages follow the SUBACK, on every SUBSCRIBE, a repeated one too.
  for (std::size_t i = 0; i < s.topics.size(); ++i) {
    if (ack.codes[i] != codec::suback_failure) broker_.send_retained(session_, s.topics[i].filter, ack.codes[i]);
  }
}

void Connection::on_unsubscribe(codec::Unsubscribe&& u) {
  for (auto& f : u.filters) broker_.unsubscribe(session_, f);
  send_packet(codec::Ack{codec::PacketType::unsuback, u.packet_id});
}

void Connection::publish_will() {
  if (!will_) return;
  auto will = std::move(will_);
  auto verdict = authorize(will->topic, will->retain);
  if (verdict == PublishVerdict::deny) {
    count(Stat::publish_denied);
    broker_.log().info("will denied client={} topic={}", log_text(info_.client_id), log_text(will->topic));
    return;
  }
  if (verdict == PublishVerdict::allow_unretained && will->retain)
    will = make_message(will->topic, will->payload, will->qos, false);
  count(Stat::wills_published);
  for (auto& o : broker_.observers()) o->on_publish(info_, will);
  broker_.route(will);
}

void Connection::close(DisconnectReason reason, const std::string& detail) {
  if (state_ == State::closed) return;
  // What this round queued (a PUBACK before a revoking disconnect_user, a CONNACK) still goes
  // out ahead of the close, as it did when every packet was written at once.
  if (flush_pending_) flush_queued();
  bool was_connected = session_ != nullptr;
  state_ = State::closed;
  broker_.unregister_connection(worker_, this);
  if (reason == DisconnectReason::keepalive_timeout) count(Stat::keepalive_timeouts);
  if (reason == DisconnectReason::slow_consumer) count(Stat::slow_consumers);
  if (was_connected) {
    broker_.stats().sub(static_cast<int>(worker_), Stat::clients_connected);
    if (publishes_will(reason)) publish_will();
    if (session_->sink() == this) session_->detach(broker_.clock().now(), broker_.clock().unix_ms());
    broker_.session_closed(session_);
    broker_.log().info("disconnected client={} user={} addr={} reason={}{}{}", log_text(info_.client_id),
                       log_text(info_.username.value_or("-")), log_text(info_.address), to_string(reason),
                       detail.empty() ? "" : ": ", detail);
    for (auto& o : broker_.observers()) o->on_disconnected(info_, reason);
  } else if (reason != DisconnectReason::connect_refused) {
    broker_.log().info("closed before CONNECT accepted addr={} reason={}{}{}", log_text(info_.address),
                       to_string(reason), detail.empty() ? "" : ": ", detail);
  }
  will_.reset();
  held_acks_.reset();                   // the client resends what it saw no acknowledgement for
  if (writes_) writes_->queue.clear();  // `writing` stays until the transport lets go of it
  partial_.reset();
  transport_->close();
}

bool Connection::timer_due(common::Clock::time_point now) const {
  auto idle = now - last_activity_;
  switch (state_) {
    case State::awaiting_connect:
    case State::authenticating:
    // A refused client that never reads its CONNACK does not hold the socket for long.
    case State::closing: return idle > broker_.options().connect_timeout;
    // MQTT 3.1.1 section 3.1.2.10: one and a half times the keepalive without a packet.
    case State::connected: return keepalive_ > 0 && idle > std::chrono::milliseconds(keepalive_ * 1500);
    case State::closed: return false;
  }
  return false;
}

void Connection::check_timers(common::Clock::time_point now) {
  if (!timer_due(now)) return;
  switch (state_) {
    case State::awaiting_connect: return close(DisconnectReason::connect_timeout, "no CONNECT");
    case State::authenticating: return refuse(ConnectReturn::not_authorized, "authentication timed out");
    case State::connected: return close(DisconnectReason::keepalive_timeout);
    case State::closing: return close(DisconnectReason::connect_refused, "CONNACK not read");
    case State::closed: return;
  }
}

void Connection::send_publish(const MessagePtr& m, std::uint8_t qos, bool retain, bool dup, std::uint16_t packet_id) {
  OutItem item;
  auto prefix = codec::publish_prefix(qos, retain, dup, m->topic.size(), m->payload.size());
  item.bytes.assign(reinterpret_cast<const char*>(prefix.bytes), prefix.size);
  item.message = m;
  if (qos > 0) {
    item.has_packet_id = true;
    item.packet_id[0] = static_cast<std::uint8_t>(packet_id >> 8);
    item.packet_id[1] = static_cast<std::uint8_t>(packet_id & 0xFF);
  }
  count(Stat::messages_sent);
  enqueue(std::move(item));
}

void Connection::count(Stat s, std::uint64_t n) {
  broker_.stats().add(static_cast<int>(worker_), s, n);  // a connection runs only on its worker
}

void Connection::send_pubrel(std::uint16_t packet_id) { send_packet(codec::Ack{codec::PacketType::pubrel, packet_id}); }

std::size_t Connection::write_backlog() const { return writes_ ? writes_->bytes : 0; }

void Connection::send_packet(const codec::Packet& p) {
  OutItem item;
  codec::encode(p, item.bytes);
  enqueue(std::move(item));
}

void Connection::enqueue(OutItem&& item) {
  if (state_ == State::closed) return;
  if (!writes_) writes_ = std::make_unique<Writes>();
  writes_->bytes += item.size();
  if (writes_->bytes > broker_.options().max_write_queue_bytes) {
    close(DisconnectReason::slow_consumer, fmt::format("{} bytes waiting to be written", writes_->bytes));
    return;
  }
  writes_->queue.push_back(std::move(item));
  // A write in progress picks the queue up when it completes (on_written); otherwise wait for the
  // end of the round, so a burst costs one syscall instead of one per packet.
  if (writes_->writing.empty() && !flush_pending_) {
    flush_pending_ = true;
    broker_.flush_soon(worker_, *this);
  }
}

void Connection::flush_queued() {
  flush_pending_ = false;
  flush();
}

void Connection::flush() {
  if (!writes_ || !writes_->writing.empty() || writes_->queue.empty() || state_ == State::closed) return;
  writes_->writing.swap(writes_->queue);
  thread_local std::vector<boost::asio::const_buffer> buffers;
  buffers.clear();
  for (auto& item : writes_->writing) {
    buffers.emplace_back(item.bytes.data(), item.bytes.size());
    if (!item.message) continue;
    buffers.emplace_back(item.message->topic.data(), item.message->topic.size());
    if (item.has_packet_id) buffers.emplace_back(item.packet_id, 2);
    if (!item.message->payload.empty())
      buffers.emplace_back(item.message->payload.data(), item.message->payload.size());
  }
  transport_->async_write(buffers,
                          [self = shared_from_this()](const boost::system::error_code& ec) { self->on_written(ec); });
}

void Connection::on_written(const boost::system::error_code& ec) {
  std::size_t written = 0;
  for (auto& item : writes_->writing) written += item.size();
  writes_->bytes -= written;
  count(Stat::bytes_sent, written);
  writes_->writing.clear();
  if (ec) {
    close(DisconnectReason::network_error, ec.message());
    writes_.reset();
    return;
  }
  // The session held messages back until the connection had room (session.hpp, PACING).
  if (state_ == State::connected && session_->sink() == this) session_->resume(broker_.options());
  if (writes_->queue.empty()) {
    writes_.reset();  // idle again: a quiet connection holds no write buffers
    if (state_ == State::closing) close(DisconnectReason::connect_refused);
    return;
  }
  flush();
}

const char* to_string(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::client_disconnect: return "client sent DISCONNECT";
    case DisconnectReason::taken_over: return "taken over by a new connection";
    case DisconnectReason::revoked: return "credentials revoked";
    case DisconnectReason::keepalive_timeout: return "keepalive timeout";
    case DisconnectReason::connect_timeout: return "connect timeout";
    case DisconnectReason::connect_refused: return "connect refused";
    case DisconnectReason::protocol_error: return "protocol error";
    case DisconnectReason::slow_consumer: return "slow consumer";
    case DisconnectReason::network_error: return "network error";
    case DisconnectReason::shutdown: return "broker shutdown";
  }
  return "unknown";
}

}  // namespace broker
