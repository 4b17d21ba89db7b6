#include "broker/codec/v5/encode.hpp"

#include "detail.hpp"

namespace broker::codec::v5 {

void encode(const Packet& packet, std::string& out) {
  using namespace detail;
  Writer w(out);
  struct Visitor {
    Writer& w;
    void operator()(const Connect& c) const { encode_connect(c, w); }
    void operator()(const Connack& c) const { encode_connack(c, w); }
    void operator()(const Publish& p) const { encode_publish(p, w); }
    void operator()(const PubAck& a) const { encode_pub_ack(a, w); }
    void operator()(const Subscribe& s) const { encode_subscribe(s, w); }
    void operator()(const Suback& s) const {
      encode_suback(PacketType::suback, s.packet_id, s.properties, s.reasons, w);
    }
    void operator()(const Unsubscribe& u) const { encode_unsubscribe(u, w); }
    void operator()(const Unsuback& u) const {
      encode_suback(PacketType::unsuback, u.packet_id, u.properties, u.reasons, w);
    }
    void operator()(const Pingreq&) const { w.header(first_byte(PacketType::pingreq), 0); }
    void operator()(const Pingresp&) const { w.header(first_byte(PacketType::pingresp), 0); }
    void operator()(const Disconnect& d) const { encode_disconnect(PacketType::disconnect, d.reason, d.properties, w); }
    void operator()(const Auth& a) const { encode_disconnect(PacketType::auth, a.reason, a.properties, w); }
  };
  std::visit(Visitor{w}, packet);
}

std::string encode(const Packet& p) {
  std::string out;
  encode(p, out);
  return out;
}

PacketType type_of(const Packet& p) {
  struct Visitor {
    PacketType operator()(const Connect&) const { return PacketType::connect; }
    PacketType operator()(const Connack&) const { return PacketType::connack; }
    PacketType operator()(const Publish&) const { return PacketType::publish; }
    PacketType operator()(const PubAck& a) const { return a.type; }
    PacketType operator()(const Subscribe&) const { return PacketType::subscribe; }
    PacketType operator()(const Suback&) const { return PacketType::suback; }
    PacketType operator()(const Unsubscribe&) const { return PacketType::unsubscribe; }
    PacketType operator()(const Unsuback&) const { return PacketType::unsuback; }
    PacketType operator()(const Pingreq&) const { return PacketType::pingreq; }
    PacketType operator()(const Pingresp&) const { return PacketType::pingresp; }
    PacketType operator()(const Disconnect&) const { return PacketType::disconnect; }
    PacketType operator()(const Auth&) const { return PacketType::auth; }
  };
  return std::visit(Visitor{}, p);
}

}  // namespace broker::codec::v5
