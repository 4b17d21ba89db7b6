#pragma once
// The binary encoding of one persistence record (broker/persistence.hpp) inside the journal; the
// framing around it (length, CRC) and the file header are the journal's (docs/storage.md).
//
//   record  = u8 kind (the Record variant index), then the kind's fields in declaration order
//   string  = varint byte length, bytes        integers = unsigned LEB128 varints
//   message = string topic, string payload, u8 flags (bits 0-1 QoS, bit 2 retain, bit 3 present)
//
// Pure functions over bytes, shared by the journal and its tests; decoding hostile input never
// throws or reads out of bounds, it answers an error.
#include <optional>
#include <string>
#include <string_view>

#include "broker/persistence.hpp"

namespace storage {

// Appends the encoding of `record` to `out`.
void encode_record(const broker::persist::Record& record, std::string& out);

struct DecodedRecord {
  std::optional<broker::persist::Record> record;  // empty on error
  std::string error;                              // why, when empty
};
// Decodes exactly one record from `in`; trailing bytes are an error.
DecodedRecord decode_record(std::string_view in);

}  // namespace storage
