#pragma once
// Helpers for the MQTT 5.0 byte-table tests (test_v5_*.cpp), beside codec_test.hpp's: equality
// for the v5 packet structs, and check/decode helpers that go through codec::v5.
#include <tuple>

#include "broker/codec/v5/decode.hpp"
#include "broker/codec/v5/encode.hpp"
#include "codec_test.hpp"

namespace broker::codec::v5 {

inline bool operator==(const UserProperty& a, const UserProperty& b) { return a.name == b.name && a.value == b.value; }
inline auto fields(const Properties& p) {
  return std::tie(
      p.payload_format_indicator, p.message_expiry_interval, p.content_type, p.response_topic, p.correlation_data,
      p.subscription_identifiers, p.session_expiry_interval, p.assigned_client_identifier, p.server_keep_alive,
      p.authentication_method, p.authentication_data, p.request_problem_information, p.will_delay_interval,
      p.request_response_information, p.response_information, p.server_reference, p.reason_string, p.receive_maximum,
      p.topic_alias_maximum, p.topic_alias, p.maximum_qos, p.retain_available, p.user_properties, p.maximum_packet_size,
      p.wildcard_subscription_available, p.subscription_identifier_available, p.shared_subscription_available);
}
inline bool operator==(const Properties& a, const Properties& b) { return fields(a) == fields(b); }
inline bool operator==(const Will& a, const Will& b) {
  return a.properties == b.properties && a.topic == b.topic && a.payload == b.payload && a.qos == b.qos &&
         a.retain == b.retain;
}
inline bool operator==(const Connect& a, const Connect& b) {
  return a.clean_start == b.clean_start && a.keepalive == b.keepalive && a.properties == b.properties &&
         a.client_id == b.client_id && a.will == b.will && a.username == b.username && a.password == b.password;
}
inline bool operator==(const Connack& a, const Connack& b) {
  return a.session_present == b.session_present && a.reason == b.reason && a.properties == b.properties;
}
inline bool operator==(const Publish& a, const Publish& b) {
  return a.dup == b.dup && a.qos == b.qos && a.retain == b.retain && a.topic == b.topic && a.packet_id == b.packet_id &&
         a.properties == b.properties && a.payload == b.payload;
}
inline bool operator==(const PubAck& a, const PubAck& b) {
  return a.type == b.type && a.packet_id == b.packet_id && a.reason == b.reason && a.properties == b.properties;
}
inline bool operator==(const SubscribeTopic& a, const SubscribeTopic& b) {
  return a.filter == b.filter && a.qos == b.qos && a.no_local == b.no_local &&
         a.retain_as_published == b.retain_as_published && a.retain_handling == b.retain_handling;
}
inline bool operator==(const Subscribe& a, const Subscribe& b) {
  return a.packet_id == b.packet_id && a.properties == b.properties && a.topics == b.topics;
}
inline bool operator==(const Suback& a, const Suback& b) {
  return a.packet_id == b.packet_id && a.properties == b.properties && a.reasons == b.reasons;
}
inline bool operator==(const Unsubscribe& a, const Unsubscribe& b) {
  return a.packet_id == b.packet_id && a.properties == b.properties && a.filters == b.filters;
}
inline bool operator==(const Unsuback& a, const Unsuback& b) {
  return a.packet_id == b.packet_id && a.properties == b.properties && a.reasons == b.reasons;
}
inline bool operator==(const Disconnect& a, const Disconnect& b) {
  return a.reason == b.reason && a.properties == b.properties;
}
inline bool operator==(const Auth& a, const Auth& b) { return a.reason == b.reason && a.properties == b.properties; }

}  // namespace broker::codec::v5

namespace codec_v5_test {

using codec_test::body_of;
using codec_test::bytes;
using codec_test::error_name;
using codec_test::hex;
using codec_test::with_body;
namespace codec = broker::codec;
namespace v5 = broker::codec::v5;

// The error v5::decode() reports for `wire`, as text so a failing check names both errors.
inline std::string decode_error(std::string_view wire, const v5::Options& o = {}) {
  return error_name(v5::decode(wire, o).error);
}

template <class T>
T decode_as(std::string_view wire, const v5::Options& o = {}) {
  auto r = v5::decode(wire, o);
  REQUIRE_MESSAGE(r.ok(), "decode failed: " << error_name(r.error) << " for " << hex(wire));
  auto* p = std::get_if<T>(&r.packet);
  REQUIRE_MESSAGE(p != nullptr, "decoded another packet type for " << hex(wire));
  return *p;
}

// `wire` decodes to `expected`, `expected` encodes to `wire`, the decoded value encodes to it too.
template <class T>
void check_table(std::string_view wire, const T& expected) {
  T decoded = decode_as<T>(wire);
  CHECK(decoded == expected);
  CHECK(hex(v5::encode(expected)) == hex(wire));
  CHECK(hex(v5::encode(decoded)) == hex(wire));
}

// A long form the spec allows besides the shortest: decodes to `expected`, which encodes to
// `shortest`.
template <class T>
void check_long_form(std::string_view wire, const T& expected, std::string_view shortest) {
  CHECK(decode_as<T>(wire) == expected);
  CHECK(hex(v5::encode(expected)) == hex(shortest));
}

}  // namespace codec_v5_test
