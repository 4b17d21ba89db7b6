// libFuzzer harness for the persistence journal's readers (storage/src/journal_format.cpp,
// storage/src/journal_codec.cpp) and the replay they feed (broker/src/persisted_state.cpp). The
// input is read twice: as a journal file, and as records without the CRC framing (each chunk one
// length byte, then the bytes), so mutations reach the record decoder without having to forge a
// CRC. Every decoded record must survive a round trip, and the replayed state must account its
// bytes exactly however hostile the records.
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/persisted_state.hpp"
#include "journal_format.hpp"
#include "require.hpp"
#include "storage/journal_codec.hpp"

using fuzz::require;

namespace {

std::uint64_t body_bytes(const broker::PersistedState& st) {
  std::uint64_t n = 0;
  for (auto& [id, body] : st.messages)
    if (body.message) n += body.message->topic.size() + body.message->payload.size();
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  broker::PersistedState st;

  auto scan = storage::detail::scan_journal(input, [&](broker::persist::Record&& r) { st.apply(r); });
  require(scan.valid_end <= input.size(), "valid_end past the input");

  std::string_view rest = input;
  while (!rest.empty()) {
    std::size_t len = static_cast<unsigned char>(rest[0]);
    rest.remove_prefix(1);
    auto chunk = rest.substr(0, len);
    rest.remove_prefix(chunk.size());
    auto first = storage::decode_record(chunk);
    require(first.record.has_value() != !first.error.empty(), "neither a record nor an error");
    if (!first.record) continue;
    std::string encoded;
    storage::encode_record(*first.record, encoded);
    auto second = storage::decode_record(encoded);
    require(second.record.has_value(), "an encoded record does not decode");
    std::string again;
    storage::encode_record(*second.record, again);
    require(again == encoded, "second encoding differs from the first");
    st.apply(*first.record);
  }

  require(st.stored_bytes() == body_bytes(st), "stored_bytes disagrees with the bodies held");
  broker::PersistedState rebuilt;
  st.for_each_record([&](const broker::persist::Record& r) { rebuilt.apply(r); });
  require(rebuilt.stored_bytes() == st.stored_bytes(), "compaction changes the stored bytes");
  require(rebuilt.max_message_id == st.max_message_id, "compaction changes the highest id");
  st.drop_unreferenced();
  require(st.stored_bytes() == body_bytes(st), "stored_bytes wrong after dropping bodies");
  return 0;
}
