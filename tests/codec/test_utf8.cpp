// UTF-8 as MQTT 3.1.1 section 1.5.3 requires it: well-formed per RFC 3629, no U+0000, no
// surrogates. valid_utf8() directly, then through a PUBLISH topic.
#include "codec_test.hpp"

using namespace codec_test;
using broker::codec::valid_utf8;

TEST_CASE("well-formed UTF-8 is valid") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("/12345678901/statu"));
  CHECK(valid_utf8(bytes({0x7F})));                    // U+007F, the last one-byte character
  CHECK(valid_utf8(bytes({0xC2, 0x80})));              // U+0080, the first two-byte one
  CHECK(valid_utf8(bytes({0xDF, 0xBF})));              // U+07FF
  CHECK(valid_utf8(bytes({0xE0, 0xA0, 0x80})));        // U+0800, the first three-byte one
  CHECK(valid_utf8(bytes({0xE9, 0x94, 0x81})));        // U+9501 锁
  CHECK(valid_utf8(bytes({0xED, 0x9F, 0xBF})));        // U+D7FF, just below the surrogates
  CHECK(valid_utf8(bytes({0xEE, 0x80, 0x80})));        // U+E000, just above them
  CHECK(valid_utf8(bytes({0xEF, 0xBB, 0xBF})));        // U+FEFF: kept, never stripped [MQTT-1.5.3-3]
  CHECK(valid_utf8(bytes({0xEF, 0xBF, 0xBF})));        // U+FFFF: a noncharacter, allowed
  CHECK(valid_utf8(bytes({0xF0, 0x90, 0x80, 0x80})));  // U+10000, the first four-byte one
  CHECK(valid_utf8(bytes({0xF0, 0x9F, 0x94, 0x92})));  // U+1F512 🔒
  CHECK(valid_utf8(bytes({0xF4, 0x8F, 0xBF, 0xBF})));  // U+10FFFF, the last code point
  CHECK(valid_utf8(bytes({0x01, 0x1F})));              // control characters other than U+0000
}

TEST_CASE("U+0000 is not allowed [MQTT-1.5.3-2]") {
  CHECK_FALSE(valid_utf8(bytes({0x00})));
  CHECK_FALSE(valid_utf8(bytes({'a', 0x00, 'b'})));
  CHECK_FALSE(valid_utf8(bytes({0xC0, 0x80})));  // nor its overlong "modified UTF-8" form
}

TEST_CASE("overlong encodings are invalid") {
  CHECK_FALSE(valid_utf8(bytes({0xC0, 0xAF})));              // '/' in two bytes
  CHECK_FALSE(valid_utf8(bytes({0xC1, 0xBF})));              // U+007F in two bytes
  CHECK_FALSE(valid_utf8(bytes({0xE0, 0x80, 0xAF})));        // '/' in three bytes
  CHECK_FALSE(valid_utf8(bytes({0xE0, 0x9F, 0xBF})));        // U+07FF in three bytes
  CHECK_FALSE(valid_utf8(bytes({0xF0, 0x80, 0x80, 0xAF})));  // '/' in four bytes
  CHECK_FALSE(valid_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF})));  // U+FFFF in four bytes
}

TEST_CASE("surrogate code points are invalid [MQTT-1.5.3-1]") {
  CHECK_FALSE(valid_utf8(bytes({0xED, 0xA0, 0x80})));  // U+D800
  CHECK_FALSE(valid_utf8(bytes({0xED, 0xAF, 0xBF})));  // U+DBFF
  CHECK_FALSE(valid_utf8(bytes({0xED, 0xB0, 0x80})));  // U+DC00
  CHECK_FALSE(valid_utf8(bytes({0xED, 0xBF, 0xBF})));  // U+DFFF
  // A CESU-8 pair for U+1F512 is two surrogates, not a character.
  CHECK_FALSE(valid_utf8(bytes({0xED, 0xA0, 0xBD, 0xED, 0xB4, 0x92})));
}

TEST_CASE("code points above U+10FFFF and bytes UTF-8 never uses are invalid") {
  CHECK_FALSE(valid_utf8(bytes({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  CHECK_FALSE(valid_utf8(bytes({0xF5, 0x80, 0x80, 0x80})));
  CHECK_FALSE(valid_utf8(bytes({0xF7, 0xBF, 0xBF, 0xBF})));
  CHECK_FALSE(valid_utf8(bytes({0xF8, 0x88, 0x80, 0x80, 0x80})));  // old five-byte form
  CHECK_FALSE(valid_utf8(bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));
  CHECK_FALSE(valid_utf8(bytes({0xFE})));
  CHECK_FALSE(valid_utf8(bytes({0xFF})));
}

TEST_CASE("cut-off sequences and stray continuation bytes are invalid") {
  CHECK_FALSE(valid_utf8(bytes({0xC3})));
  CHECK_FALSE(valid_utf8(bytes({0xE9, 0x94})));
  CHECK_FALSE(valid_utf8(bytes({0xF0, 0x9F, 0x94})));
  CHECK_FALSE(valid_utf8(bytes({'a', 0xF0, 0x9F, 0x94})));  // cut at the end of a longer string
  CHECK_FALSE(valid_utf8(bytes({0xE9, 0x94, 'a'})));        // a lead byte followed by ASCII
  CHECK_FALSE(valid_utf8(bytes({0xC3, 0xC3, 0xA9})));       // a lead byte followed by a lead byte
  CHECK_FALSE(valid_utf8(bytes({0x80})));
  CHECK_FALSE(valid_utf8(bytes({0xBF})));
  CHECK_FALSE(valid_utf8(bytes({'a', 0x80, 'b'})));
  CHECK_FALSE(valid_utf8(bytes({0xC3, 0xA9, 0xA9})));  // one continuation too many
}

TEST_CASE("decode() applies the UTF-8 rules to topics, and only to strings") {
  auto publish_topic = [](std::string topic) {
    return with_body(0x30, bytes({0x00, static_cast<int>(topic.size())}) + topic + "\xFF");
  };
  CHECK(decode_error(publish_topic(bytes({'/', 0xF0, 0x9F, 0x94, 0x92}))) == "no error");
  CHECK(decode_error(publish_topic(bytes({'/', 0xED, 0xA0, 0x80}))) == error_name(codec::Error::bad_utf8));
  CHECK(decode_error(publish_topic(bytes({'/', 0xC0, 0xAF}))) == error_name(codec::Error::bad_utf8));
  CHECK(decode_error(publish_topic(bytes({'/', 0xE9, 0x94}))) == error_name(codec::Error::bad_utf8));
  CHECK(decode_error(publish_topic(bytes({'/', 0x00}))) == error_name(codec::Error::bad_utf8));
  // A sequence cut off at the end of its field, with continuation bytes right after it in the
  // packet: the check must stop at the field's end, not read on into the payload.
  const auto cut_at_field_end = bytes({
      0x30,             // PUBLISH, QoS 0
      0x06,             // remaining length 6
      0x00, 0x03,       // topic length 3
      '/', 0xE9, 0x94,  // "/" and the first two bytes of U+9501
      0x81,             // payload: its last byte
  });
  CHECK(decode_error(cut_at_field_end) == error_name(codec::Error::bad_utf8));
}
