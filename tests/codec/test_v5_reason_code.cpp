// MQTT 5.0 reason codes (section 2.4): the table of which packet carries which code, and the code
// a receiver sends for each decode error (Malformed Packet versus Protocol Error).
#include "codec_v5_test.hpp"

using namespace codec_v5_test;
using broker::codec::PacketType;
using v5::ReasonCode;
using Error = broker::codec::Error;

TEST_CASE("every reason code of the specification has its name") {
  int known = 0;
  for (int b = 0; b < 256; ++b) {
    std::string name = v5::to_string(static_cast<ReasonCode>(b));
    if (name != "unknown reason code") ++known;
  }
  CHECK(known == 43);  // table 2-6 lists 43 values
  CHECK(std::string(v5::to_string(ReasonCode::malformed_packet)) == "Malformed Packet");
  CHECK(std::string(v5::to_string(v5::normal_disconnection)) == "Success");
}

TEST_CASE("which packets may carry which reason code") {
  CHECK(v5::reason_allowed(ReasonCode::success, PacketType::auth));
  CHECK(v5::reason_allowed(ReasonCode::granted_qos_2, PacketType::suback));
  CHECK(!v5::reason_allowed(ReasonCode::granted_qos_2, PacketType::puback));
  CHECK(v5::reason_allowed(ReasonCode::disconnect_with_will_message, PacketType::disconnect));
  CHECK(v5::reason_allowed(ReasonCode::no_matching_subscribers, PacketType::pubrec));
  CHECK(!v5::reason_allowed(ReasonCode::no_matching_subscribers, PacketType::pubrel));
  CHECK(v5::reason_allowed(ReasonCode::packet_identifier_not_found, PacketType::pubcomp));
  CHECK(!v5::reason_allowed(ReasonCode::packet_identifier_not_found, PacketType::puback));
  CHECK(v5::reason_allowed(ReasonCode::continue_authentication, PacketType::auth));
  CHECK(!v5::reason_allowed(ReasonCode::continue_authentication, PacketType::connack));
  CHECK(v5::reason_allowed(ReasonCode::unsupported_protocol_version, PacketType::connack));
  CHECK(!v5::reason_allowed(ReasonCode::unsupported_protocol_version, PacketType::disconnect));
  CHECK(v5::reason_allowed(ReasonCode::session_taken_over, PacketType::disconnect));
  CHECK(v5::reason_allowed(ReasonCode::no_subscription_existed, PacketType::unsuback));
  CHECK(!v5::reason_allowed(ReasonCode::quota_exceeded, PacketType::unsuback));
  CHECK(!v5::reason_allowed(static_cast<ReasonCode>(0x03), PacketType::disconnect));
  // Packets without a reason code carry none.
  CHECK(!v5::reason_allowed(ReasonCode::success, PacketType::publish));
  CHECK(!v5::reason_allowed(ReasonCode::success, PacketType::connect));
}

TEST_CASE("each decode error maps to the reason code the receiver sends") {
  CHECK(v5::reason_for(Error::none) == ReasonCode::success);
  CHECK(v5::reason_for(Error::packet_too_large) == ReasonCode::packet_too_large);
  CHECK(v5::reason_for(Error::bad_protocol_level) == ReasonCode::unsupported_protocol_version);
  CHECK(v5::reason_for(Error::bad_topic) == ReasonCode::topic_name_invalid);
  CHECK(v5::reason_for(Error::bad_topic_filter) == ReasonCode::topic_filter_invalid);
  for (auto e : {Error::duplicate_property, Error::bad_property_value, Error::bad_subscription_value,
                 Error::missing_topic, Error::auth_data_without_method}) {
    CAPTURE(error_name(e));
    CHECK(v5::reason_for(e) == ReasonCode::protocol_error);
    CHECK(v5::is_protocol_error(e));
  }
  for (auto e : {Error::bad_fixed_header_flags, Error::bad_remaining_length, Error::truncated, Error::trailing_bytes,
                 Error::bad_connect_flags, Error::bad_utf8, Error::bad_qos, Error::zero_packet_id,
                 Error::empty_subscription, Error::bad_variable_byte_integer, Error::bad_property,
                 Error::bad_reason_code, Error::bad_subscription_options}) {
    CAPTURE(error_name(e));
    CHECK(v5::reason_for(e) == ReasonCode::malformed_packet);
    CHECK(!v5::is_protocol_error(e));
  }
  // Every code reason_for() gives may go in a DISCONNECT, or (Unsupported Protocol Version) in
  // the CONNACK that answers a CONNECT.
  for (int e = 1; e <= static_cast<int>(Error::too_many_properties); ++e) {
    auto code = v5::reason_for(static_cast<Error>(e));
    CAPTURE(e);
    CHECK((v5::reason_allowed(code, PacketType::disconnect) || v5::reason_allowed(code, PacketType::connack)));
  }
}
