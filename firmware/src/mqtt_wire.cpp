#include "firmware/mqtt_wire.hpp"

#include <cstring>

namespace firmware::wire {
namespace {

// Appends big-endian fields; a write past the capacity marks the packet as not fitting.
class Out {
 public:
  Out(std::uint8_t* buf, std::size_t cap) : buf_(buf), cap_(cap) {}
  void u8(std::uint8_t v) {
    if (pos_ < cap_) buf_[pos_] = v;
    ++pos_;
  }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v & 0xff));
  }
  void raw(std::string_view s) {
    if (s.size() <= cap_ && pos_ <= cap_ - s.size()) std::memcpy(buf_ + pos_, s.data(), s.size());
    pos_ += s.size();
  }
  void str(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    raw(s);
  }
  // The fixed header goes first, so the body size must be known up front.
  void header(std::uint8_t first, std::size_t remaining) {
    u8(first);
    do {
      auto digit = static_cast<std::uint8_t>(remaining % 128);
      remaining /= 128;
      u8(remaining > 0 ? digit | 0x80 : digit);
    } while (remaining > 0);
  }
  std::size_t done() const { return pos_ <= cap_ ? pos_ : 0; }

 private:
  std::uint8_t* buf_;
  std::size_t cap_;
  std::size_t pos_ = 0;
};

constexpr std::size_t max_field = 65535;
constexpr std::size_t max_remaining = 268435455;

class In {
 public:
  In(const std::uint8_t* body, std::size_t size) : p_(body), n_(size) {}
  bool u8(std::uint8_t& v) {
    if (n_ - pos_ < 1) return false;
    v = p_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (n_ - pos_ < 2) return false;
    v = static_cast<std::uint16_t>(p_[pos_] << 8 | p_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool str(std::string_view& s) {
    std::uint16_t len;
    if (!u16(len) || n_ - pos_ < len) return false;
    s = std::string_view(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return true;
  }
  std::string_view rest() {
    auto s = std::string_view(reinterpret_cast<const char*>(p_ + pos_), n_ - pos_);
    pos_ = n_;
    return s;
  }
  bool at_end() const { return pos_ == n_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
};

}  // namespace

std::size_t encode_connect(std::uint8_t* out, std::size_t capacity, const ConnectFields& f) {
  bool will = !f.will_topic.empty();
  for (auto s : {f.client_id, f.username, f.password, f.will_topic, f.will_payload})
    if (s.size() > max_field) return 0;
  std::string_view name = f.protocol_level == 3 ? "MQIsdp" : "MQTT";
  std::size_t body = 2 + name.size() + 1 + 1 + 2 + 2 + f.client_id.size();
  if (will) body += 2 + f.will_topic.size() + 2 + f.will_payload.size();
  if (!f.username.empty()) body += 2 + f.username.size();
  if (!f.password.empty()) body += 2 + f.password.size();

  std::uint8_t flags = 0x02;  // clean session: a lock re-subscribes on every connect
  if (will) {
    flags |= 0x04 | static_cast<std::uint8_t>((f.will_qos & 3) << 3);
    if (f.will_retain) flags |= 0x20;
  }
  if (!f.username.empty()) flags |= 0x80;
  if (!f.password.empty() && !f.username.empty()) flags |= 0x40;

  Out o(out, capacity);
  o.header(connect << 4, body);
  o.str(name);
  o.u8(f.protocol_level == 3 ? 3 : 4);
  o.u8(flags);
  o.u16(f.keepalive_s);
  o.str(f.client_id);
  if (will) {
    o.str(f.will_topic);
    o.str(f.will_payload);
  }
  if (!f.username.empty()) o.str(f.username);
  if (!f.password.empty() && !f.username.empty()) o.str(f.password);
  return o.done();
}

std::size_t encode_publish(std::uint8_t* out, std::size_t capacity, std::string_view topic, std::string_view payload,
                           std::uint8_t qos, std::uint16_t packet_id) {
  if (topic.size() > max_field || qos > 2) return 0;
  std::size_t body = 2 + topic.size() + (qos > 0 ? 2 : 0) + payload.size();
  if (body > max_remaining) return 0;
  Out o(out, capacity);
  o.header(static_cast<std::uint8_t>(publish << 4 | qos << 1), body);
  o.str(topic);
  if (qos > 0) o.u16(packet_id);
  o.raw(payload);
  return o.done();
}

std::size_t encode_subscribe(std::uint8_t* out, std::size_t capacity, std::uint16_t packet_id,
                             const std::string_view* filters, std::size_t count, std::uint8_t qos) {
  std::size_t body = 2;
  for (std::size_t i = 0; i < count; ++i) {
    if (filters[i].size() > max_field) return 0;
    body += 2 + filters[i].size() + 1;
  }
  Out o(out, capacity);
  o.header(subscribe << 4 | 0x02, body);
  o.u16(packet_id);
  for (std::size_t i = 0; i < count; ++i) {
    o.str(filters[i]);
    o.u8(qos);
  }
  return o.done();
}

std::size_t encode_ack(std::uint8_t* out, std::size_t capacity, Type type, std::uint16_t packet_id) {
  Out o(out, capacity);
  o.header(static_cast<std::uint8_t>(type << 4 | (type == pubrel ? 0x02 : 0)), 2);
  o.u16(packet_id);
  return o.done();
}

std::size_t encode_empty(std::uint8_t* out, std::size_t capacity, Type type) {
  Out o(out, capacity);
  o.header(static_cast<std::uint8_t>(type << 4), 0);
  return o.done();
}

HeaderStatus parse_header(const std::uint8_t* data, std::size_t size, Header& out) {
  if (size < 1) return HeaderStatus::need_more;
  std::uint32_t value = 0;
  for (std::size_t i = 1; i <= 4; ++i) {
    if (i >= size) return HeaderStatus::need_more;
    std::uint8_t b = data[i];
    value |= static_cast<std::uint32_t>(b & 0x7f) << (7 * (i - 1));
    if ((b & 0x80) == 0) {
      // A final zero digit after the first byte is a non-minimal encoding.
      if (i > 1 && b == 0) return HeaderStatus::malformed;
      out.first = data[0];
      out.remaining = value;
      out.size = static_cast<std::uint8_t>(i + 1);
      return HeaderStatus::ok;
    }
  }
  return HeaderStatus::malformed;
}

bool decode_connack(std::uint8_t flags, const std::uint8_t* body, std::size_t size, std::uint8_t& return_code) {
  if (flags != 0 || size != 2 || (body[0] & 0xfe) != 0) return false;
  return_code = body[1];
  return true;
}

bool decode_publish(std::uint8_t flags, const std::uint8_t* body, std::size_t size, InPublish& out) {
  out.dup = flags & 0x08;
  out.qos = (flags >> 1) & 3;
  out.retain = flags & 0x01;
  if (out.qos == 3) return false;
  In in(body, size);
  if (!in.str(out.topic) || out.topic.empty()) return false;
  out.packet_id = 0;
  if (out.qos > 0 && (!in.u16(out.packet_id) || out.packet_id == 0)) return false;
  out.payload = in.rest();
  return true;
}

bool decode_ack(Type type, std::uint8_t flags, const std::uint8_t* body, std::size_t size, std::uint16_t& packet_id) {
  if (flags != (type == pubrel ? 0x02 : 0) || size != 2) return false;
  In in(body, size);
  return in.u16(packet_id) && packet_id != 0;
}

bool decode_suback(std::uint8_t flags, const std::uint8_t* body, std::size_t size, std::uint16_t& packet_id,
                   const std::uint8_t*& codes, std::size_t& count) {
  if (flags != 0 || size < 3) return false;
  In in(body, size);
  if (!in.u16(packet_id) || packet_id == 0) return false;
  codes = body + 2;
  count = size - 2;
  for (std::size_t i = 0; i < count; ++i)
    if (codes[i] > 2 && codes[i] != 0x80) return false;
  return true;
}

}  // namespace firmware::wire
