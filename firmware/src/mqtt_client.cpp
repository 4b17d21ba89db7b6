#include "firmware/mqtt_client.hpp"

#include <cstring>

#include "firmware/text.hpp"

namespace firmware {

namespace {
constexpr Millis never = ~Millis{0};
constexpr const char* connack_codes[] = {"0", "1", "2", "3", "4", "5"};
}  // namespace

MqttClient::MqttClient(Platform& platform, const LockConfig& config, MqttHandler& handler)
    : platform_(platform), config_(config), handler_(handler) {
  TextWriter(will_topic_, sizeof will_topic_).add('/').add(config_.lockno).add("/statu");
}

void MqttClient::start() {
  attempt_ = 0;
  state_ = State::waiting;
  Millis window = config_.backoff_min_ms;
  deadline_ = platform_.now_ms() + (window > 0 ? platform_.random32() % window : 0);
}

void MqttClient::stop() {
  if (state_ == State::connected) {
    std::size_t n = wire::encode_empty(tx_, sizeof tx_, wire::disconnect);
    platform_.link_send(Link::mqtt, tx_, n);
  }
  if (state_ != State::stopped && state_ != State::waiting) platform_.link_close(Link::mqtt);
  state_ = State::stopped;
  ++generation_;
}

void MqttClient::fail(const char* why, bool close_link) {
  if (close_link) platform_.link_close(Link::mqtt);
  platform_.note(Note::disconnected, why);
  ++generation_;
  Millis now = platform_.now_ms();
  // A connection that lasted longer than the longest delay was a success: start over from the
  // shortest delay. One that the broker cut at once keeps growing the delay.
  if (state_ == State::connected && now - connected_at_ >= config_.backoff_max_ms) attempt_ = 0;
  state_ = State::waiting;
  ++attempt_;
  Millis delay = backoff_delay();
  deadline_ = now + delay;
  char text[24];
  TextWriter(text, sizeof text).add_uint(delay);
  platform_.note(Note::backoff, text);
}

Millis MqttClient::backoff_delay() {
  Millis cap = config_.backoff_min_ms;
  for (std::uint32_t i = 1; i < attempt_ && cap < config_.backoff_max_ms; ++i) cap *= 2;
  if (cap > config_.backoff_max_ms) cap = config_.backoff_max_ms;
  Millis half = cap / 2;
  return half + platform_.random32() % (cap - half + 1);
}

bool MqttClient::send(std::size_t size) {
  if (size == 0) return false;
  if (!platform_.link_send(Link::mqtt, tx_, size)) {
    fail("send buffer full");
    return false;
  }
  last_tx_ = platform_.now_ms();
  return true;
}

std::uint16_t MqttClient::next_packet_id() {
  if (++packet_id_ == 0) packet_id_ = 1;
  return packet_id_;
}

void MqttClient::on_link_up() {
  if (state_ != State::connecting) return;
  wire::ConnectFields f;
  f.client_id = config_.lockno;
  f.username = config_.lockno;
  f.password = config_.password;
  f.will_topic = will_topic_;
  f.will_payload = "-2";
  f.will_qos = 1;
  f.will_retain = false;
  f.keepalive_s = config_.keepalive_s;
  f.protocol_level = config_.protocol_level;
  rx_len_ = 0;
  skip_ = 0;
  ping_outstanding_ = false;
  state_ = State::awaiting_connack;
  send(wire::encode_connect(tx_, sizeof tx_, f));
}

void MqttClient::on_link_down() {
  if (state_ == State::connecting || state_ == State::awaiting_connack || state_ == State::connected)
    fail(state_ == State::connecting ? "connect failed" : "connection lost", false);
}

void MqttClient::on_link_bytes(const std::uint8_t* data, std::size_t size) {
  if (state_ != State::awaiting_connack && state_ != State::connected) return;
  std::uint32_t gen = generation_;
  while (size > 0) {
    if (skip_ > 0) {
      std::size_t n = size < skip_ ? size : skip_;
      skip_ -= static_cast<std::uint32_t>(n);
      data += n;
      size -= n;
      continue;
    }
    std::size_t n = size < sizeof rx_ - rx_len_ ? size : sizeof rx_ - rx_len_;
    std::memcpy(rx_ + rx_len_, data, n);
    rx_len_ += n;
    data += n;
    size -= n;

    std::size_t used = 0;
    while (used < rx_len_) {
      wire::Header h;
      auto st = wire::parse_header(rx_ + used, rx_len_ - used, h);
      if (st == wire::HeaderStatus::malformed) {
        ++counters_.bad_packets;
        platform_.note(Note::bad_packet, "remaining length");
        fail("malformed packet");
        return;
      }
      if (st == wire::HeaderStatus::need_more) break;
      if (h.total() > sizeof rx_) {
        // Too big for a lock to need: skip it whole and stay connected.
        ++counters_.skipped_oversize;
        platform_.note(Note::bad_packet, "oversize packet skipped");
        skip_ = static_cast<std::uint32_t>(h.total() - (rx_len_ - used));
        used = rx_len_;
        break;
      }
      if (h.total() > rx_len_ - used) break;
      if (!handle(h, rx_ + used + h.size) || gen != generation_) return;
      used += h.total();
    }
    std::memmove(rx_, rx_ + used, rx_len_ - used);
    rx_len_ -= used;
  }
}

bool MqttClient::handle(const wire::Header& h, const std::uint8_t* body) {
  ++counters_.received;
  ping_outstanding_ = false;  // any packet shows the broker is alive
  if (state_ == State::awaiting_connack) {
    std::uint8_t code = 0;
    if (h.type() != wire::connack || !wire::decode_connack(h.flags(), body, h.remaining, code)) {
      ++counters_.bad_packets;
      platform_.note(Note::bad_packet, "expected CONNACK");
      fail("protocol error");
      return false;
    }
    if (code != 0) {
      platform_.note(Note::connect_refused, code < 6 ? connack_codes[code] : "?");
      fail("connect refused");
      return false;
    }
    state_ = State::connected;
    connected_at_ = platform_.now_ms();
    ++counters_.connects;
    platform_.note(Note::connected, nullptr);
    std::uint32_t gen = generation_;
    handler_.on_mqtt_connected();
    return gen == generation_;
  }
  return handle_connected(h, body);
}

bool MqttClient::handle_connected(const wire::Header& h, const std::uint8_t* body) {
  const char* bad = nullptr;
  std::uint16_t id = 0;
  switch (h.type()) {
    case wire::publish: {
      wire::InPublish p;
      if (!wire::decode_publish(h.flags(), body, h.remaining, p)) {
        bad = "bad PUBLISH";
        break;
      }
      // Acknowledge first: a lock that crashes acting on a message must not get it again.
      if (p.qos == 1 && !send(wire::encode_ack(tx_, sizeof tx_, wire::puback, p.packet_id))) return false;
      if (p.qos == 2 && !send(wire::encode_ack(tx_, sizeof tx_, wire::pubrec, p.packet_id))) return false;
      std::uint32_t gen = generation_;
      handler_.on_mqtt_message(p.topic, p.payload, p.retain);
      return gen == generation_;
    }
    case wire::pubrel:
      if (!wire::decode_ack(wire::pubrel, h.flags(), body, h.remaining, id)) {
        bad = "bad PUBREL";
        break;
      }
      return send(wire::encode_ack(tx_, sizeof tx_, wire::pubcomp, id));
    case wire::puback:
    case wire::pubcomp:
    case wire::unsuback:
      if (!wire::decode_ack(h.type(), h.flags(), body, h.remaining, id)) bad = "bad ack";
      break;
    case wire::pubrec:
      // The lock never publishes at QoS 2; answer anyway so the broker's state completes.
      if (!wire::decode_ack(wire::pubrec, h.flags(), body, h.remaining, id)) {
        bad = "bad PUBREC";
        break;
      }
      return send(wire::encode_ack(tx_, sizeof tx_, wire::pubrel, id));
    case wire::suback: {
      const std::uint8_t* codes = nullptr;
      std::size_t count = 0;
      if (!wire::decode_suback(h.flags(), body, h.remaining, id, codes, count)) {
        bad = "bad SUBACK";
        break;
      }
      for (std::size_t i = 0; i < count; ++i)
        if (codes[i] == 0x80) platform_.note(Note::subscribe_refused, config_.lockno);
      break;
    }
    case wire::pingresp:
      if (h.flags() != 0 || h.remaining != 0) bad = "bad PINGRESP";
      break;
    default: bad = "unexpected packet type";
  }
  if (bad == nullptr) return true;
  ++counters_.bad_packets;
  platform_.note(Note::bad_packet, bad);
  fail("protocol error");
  return false;
}

void MqttClient::tick() {
  Millis now = platform_.now_ms();
  switch (state_) {
    case State::stopped: return;
    case State::waiting:
      if (now < deadline_) return;
      state_ = State::connecting;
      deadline_ = now + config_.connect_timeout_ms;
      platform_.note(Note::connecting, config_.broker_host);
      platform_.link_open(Link::mqtt, config_.broker_host, config_.broker_port, config_.broker_tls);
      return;
    case State::connecting:
    case State::awaiting_connack:
      if (now >= deadline_) fail("connect timeout");
      return;
    case State::connected:
      if (ping_outstanding_) {
        if (now - ping_sent_at_ >= config_.ping_timeout_ms) fail("ping timeout");
      } else if (config_.keepalive_s > 0 && now - last_tx_ >= Millis{config_.keepalive_s} * 1000) {
        if (send(wire::encode_empty(tx_, sizeof tx_, wire::pingreq))) {
          ping_outstanding_ = true;
          ping_sent_at_ = now;
          ++counters_.pings;
        }
      }
      return;
  }
}

Millis MqttClient::next_wake() const {
  switch (state_) {
    case State::stopped: return never;
    case State::waiting:
    case State::connecting:
    case State::awaiting_connack: return deadline_;
    case State::connected:
      if (ping_outstanding_) return ping_sent_at_ + config_.ping_timeout_ms;
      if (config_.keepalive_s == 0) return never;
      return last_tx_ + Millis{config_.keepalive_s} * 1000;
  }
  return never;
}

bool MqttClient::publish(std::string_view topic, std::string_view payload, std::uint8_t qos) {
  if (state_ != State::connected) return false;
  std::uint16_t id = qos > 0 ? next_packet_id() : 0;
  return send(wire::encode_publish(tx_, sizeof tx_, topic, payload, qos, id));
}

bool MqttClient::subscribe(const std::string_view* filters, std::size_t count, std::uint8_t qos) {
  if (state_ != State::connected) return false;
  return send(wire::encode_subscribe(tx_, sizeof tx_, next_packet_id(), filters, count, qos));
}

}  // namespace firmware
