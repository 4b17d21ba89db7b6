// The journal's record encoding (storage/journal_codec.hpp): one byte table, every record kind
// round-tripped, and hostile input answered with an error.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "journal_support.hpp"
#include "storage/journal_codec.hpp"

namespace p = broker::persist;
using journal_test::sample_records;

namespace {

std::string encode(const p::Record& r) {
  std::string out;
  storage::encode_record(r, out);
  return out;
}

// A string literal's bytes, NULs included.
template <std::size_t N>
std::string raw(const char (&s)[N]) {
  return std::string(s, N - 1);
}

}  // namespace

TEST_CASE("an Enqueued record as bytes") {
  const std::string bytes =
      raw("\x07"        // kind 7: Enqueued
          "\x06lock-A"  // client id: length 6, bytes
          "\xac\x02"    // message id 300 as a varint
          "\x02"        // QoS 2
          "\x01");      // retain
  CHECK(encode(p::Enqueued{"lock-A", 300, 2, true}) == bytes);
  auto d = storage::decode_record(bytes);
  REQUIRE(d.record);
  auto& e = std::get<p::Enqueued>(*d.record);
  CHECK(e.client_id == "lock-A");
  CHECK(e.id == 300);
  CHECK(e.qos == 2);
  CHECK(e.retain);
}

TEST_CASE("a MessageStored record as bytes") {
  const std::string bytes =
      raw("\x06"    // kind 6: MessageStored
          "\x05"    // message id 5
          "\x02/t"  // topic
          "\x03"
          "a\0b"    // payload with a NUL
          "\x0d");  // flags: present (8) | retain (4) | QoS 1
  CHECK(encode(p::MessageStored{5, broker::make_message("/t", std::string("a\0b", 3), 1, true)}) == bytes);
  auto d = storage::decode_record(bytes);
  REQUIRE(d.record);
  auto& m = std::get<p::MessageStored>(*d.record);
  REQUIRE(m.message);
  CHECK(m.message->payload == raw("a\0b"));
  CHECK(m.message->qos == 1);
  CHECK(m.message->retain);
}

TEST_CASE("every record kind round-trips") {
  auto records = sample_records();
  // Extremes the sample does not reach.
  records.push_back(p::SessionDetached{"neg", -5});
  records.push_back(p::SessionDetached{"big", INT64_MAX});
  records.push_back(p::SessionDetached{"small", INT64_MIN});
  records.push_back(
      p::MessageStored{UINT64_MAX, broker::make_message(std::string(300, 't'), std::string(70000, 'p'), 2)});
  std::set<std::size_t> kinds;
  for (auto& r : records) {
    kinds.insert(r.index());
    std::string bytes = encode(r);
    auto d = storage::decode_record(bytes);
    REQUIRE_MESSAGE(d.record, "kind " << r.index() << ": " << d.error);
    CHECK(d.record->index() == r.index());
    CHECK(encode(*d.record) == bytes);
  }
  CHECK(kinds.size() == std::variant_size_v<p::Record>);

  auto detached = storage::decode_record(encode(p::SessionDetached{"x", INT64_MIN}));
  CHECK(std::get<p::SessionDetached>(*detached.record).unix_ms == INT64_MIN);
  auto absent = storage::decode_record(encode(p::MessageStored{600, nullptr}));
  CHECK(std::get<p::MessageStored>(*absent.record).message == nullptr);
}

TEST_CASE("every truncation and an extra byte are errors") {
  for (auto& r : sample_records()) {
    std::string bytes = encode(r);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto d = storage::decode_record(std::string_view(bytes).substr(0, n));
      CHECK_FALSE(d.record);
      CHECK_FALSE(d.error.empty());
    }
    CHECK_FALSE(storage::decode_record(bytes + "x").record);
  }
}

TEST_CASE("out-of-range fields are errors") {
  CHECK(storage::decode_record(raw("\x7f")).error == "unknown record kind");
  CHECK(storage::decode_record(raw("\x04\x01"
                                   "c"
                                   "\x01"
                                   "f"
                                   "\x03"))
            .error == "QoS above 2");
  // Packet id 65536 (varint 80 80 04).
  CHECK(storage::decode_record(raw("\x0a\x01"
                                   "c"
                                   "\x80\x80\x04"))
            .error == "packet id above 65535");
  CHECK(storage::decode_record(raw("\x07\x01"
                                   "c"
                                   "\x01\x01\x02"))
            .error == "flag neither 0 nor 1");
  // A string length far beyond the record.
  CHECK(storage::decode_record(raw("\x00\xff\xff\xff\xff\x0f")).error == "string longer than the record");
  // An 11-byte varint.
  CHECK(storage::decode_record(raw("\x06\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")).error ==
        "integer overflows 64 bits");
  // Flags with a bit above 3, and an absent message that carries bytes.
  CHECK(storage::decode_record(raw("\x06\x01\x00\x00\x18")).error == "bad message flags");
  CHECK(storage::decode_record(raw("\x06\x01\x01t\x00\x00")).error == "absent message with bytes");
}

TEST_CASE("random bytes never crash the decoder") {
  std::mt19937 rng(42);
  auto samples = sample_records();
  for (int i = 0; i < 20000; ++i) {
    std::string bytes;
    if (i % 2) {
      bytes = encode(samples[rng() % samples.size()]);  // a valid record with bytes flipped
      for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    } else {
      bytes.resize(rng() % 40);
      for (auto& c : bytes) c = static_cast<char>(rng());
    }
    auto d = storage::decode_record(bytes);
    CHECK((d.record.has_value() || !d.error.empty()));
  }
}
