#include "storage/journal_codec.hpp"

#include <limits>
#include <type_traits>

namespace storage {

using namespace broker::persist;

namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_string(std::string& out, const std::string& s) {
  put_varint(out, s.size());
  out += s;
}

// Field writers, chosen by type so each record kind lists its fields once (see for_fields).
struct Writer {
  std::string& out;
  void operator()(const std::string& s) { put_string(out, s); }
  void operator()(std::uint8_t v) { out += static_cast<char>(v); }
  void operator()(bool v) { out += static_cast<char>(v ? 1 : 0); }
  void operator()(std::uint16_t v) { put_varint(out, v); }
  void operator()(std::uint64_t v) { put_varint(out, v); }
  // Zig-zag, so a negative wall clock (never expected) still encodes small.
  void operator()(std::int64_t v) {
    put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void operator()(const broker::MessagePtr& m) {
    if (!m) {
      put_string(out, {});
      put_string(out, {});
      out += '\0';
      return;
    }
    put_string(out, m->topic);
    put_string(out, m->payload);
    out += static_cast<char>((m->qos & 3) | (m->retain ? 4 : 0) | 8);
  }
};

struct Reader {
  std::string_view in;
  std::size_t pos = 0;
  const char* error = nullptr;

  bool fail(const char* why) {
    if (!error) error = why;
    return false;
  }
  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= in.size()) return fail("truncated integer");
      auto byte = static_cast<unsigned char>(in[pos++]);
      if (shift == 63 && byte > 1) return fail("integer overflows 64 bits");
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return true;
    }
    return fail("integer overflows 64 bits");
  }
  bool operator()(std::string& s) {
    std::uint64_t n = 0;
    if (!varint(n)) return false;
    if (n > in.size() - pos) return fail("string longer than the record");
    s.assign(in.substr(pos, static_cast<std::size_t>(n)));
    pos += static_cast<std::size_t>(n);
    return true;
  }
  bool byte(std::uint8_t& v) {
    if (pos >= in.size()) return fail("truncated byte");
    v = static_cast<std::uint8_t>(in[pos++]);
    return true;
  }
  bool operator()(std::uint8_t& v) {
    if (!byte(v)) return false;
    return v <= 2 || fail("QoS above 2");  // the only u8 fields are QoS levels
  }
  bool operator()(bool& v) {
    std::uint8_t b = 0;
    if (!byte(b)) return false;
    if (b > 1) return fail("flag neither 0 nor 1");
    v = b == 1;
    return true;
  }
  bool operator()(std::uint16_t& v) {
    std::uint64_t x = 0;
    if (!varint(x)) return false;
    if (x > std::numeric_limits<std::uint16_t>::max()) return fail("packet id above 65535");
    v = static_cast<std::uint16_t>(x);
    return true;
  }
  bool operator()(std::uint64_t& v) { return varint(v); }
  bool operator()(std::int64_t& v) {
    std::uint64_t x = 0;
    if (!varint(x)) return false;
    v = static_cast<std::int64_t>(x >> 1) ^ -static_cast<std::int64_t>(x & 1);
    return true;
  }
  bool operator()(broker::MessagePtr& m) {
    std::string topic, payload;
    std::uint8_t flags = 0;
    if (!(*this)(topic) || !(*this)(payload) || !byte(flags)) return false;
    if (flags & ~0x0f || (flags & 3) == 3) return fail("bad message flags");
    if (flags & 8) m = broker::make_message(std::move(topic), std::move(payload), flags & 3, flags & 4);
    else if (!topic.empty() || !payload.empty()) return fail("absent message with bytes");
    return true;
  }
};

// The one list of each record kind's fields, in encoding order; `f` returns whatever the field
// visitor returns, and the fold stops at the first false.
template <class R, class F>
auto for_fields(R& r, F&& f) {
  using T = std::decay_t<R>;
  if constexpr (std::is_same_v<T, SessionCreated> || std::is_same_v<T, SessionEnded> ||
                std::is_same_v<T, SessionAttached>)
    return f(r.client_id);
  else if constexpr (std::is_same_v<T, SessionOwned>) return f(r.client_id) && f(r.username) && f(r.named);
  else if constexpr (std::is_same_v<T, SessionDetached>) return f(r.client_id) && f(r.unix_ms);
  else if constexpr (std::is_same_v<T, Subscribed>) return f(r.client_id) && f(r.filter) && f(r.qos);
  else if constexpr (std::is_same_v<T, Unsubscribed>) return f(r.client_id) && f(r.filter);
  else if constexpr (std::is_same_v<T, MessageStored>) return f(r.id) && f(r.message);
  else if constexpr (std::is_same_v<T, Enqueued>) return f(r.client_id) && f(r.id) && f(r.qos) && f(r.retain);
  else if constexpr (std::is_same_v<T, Sent>) return f(r.client_id) && f(r.id) && f(r.packet_id);
  else if constexpr (std::is_same_v<T, Released> || std::is_same_v<T, Completed> || std::is_same_v<T, IncomingQos2> ||
                     std::is_same_v<T, IncomingQos2Done>)
    return f(r.client_id) && f(r.packet_id);
  else if constexpr (std::is_same_v<T, Dropped>) return f(r.client_id) && f(r.id);
  else if constexpr (std::is_same_v<T, RetainSet>) return f(r.topic) && f(r.id);
  else if constexpr (std::is_same_v<T, RetainCleared>) return f(r.topic);
  else static_assert(sizeof(T) == 0, "a Record kind without its fields listed here");
}

// Decodes alternative I of the variant, for the kind byte read at run time.
template <std::size_t I = 0>
bool read_kind(std::size_t kind, Reader& reader, std::optional<Record>& out) {
  if constexpr (I < std::variant_size_v<Record>) {
    if (kind != I) return read_kind<I + 1>(kind, reader, out);
    std::variant_alternative_t<I, Record> r;
    if (!for_fields(r, [&](auto& field) { return reader(field); })) return false;
    out.emplace(std::in_place_index<I>, std::move(r));
    return true;
  } else {
    return reader.fail("unknown record kind");
  }
}

}  // namespace

void encode_record(const Record& record, std::string& out) {
  static_assert(std::variant_size_v<Record> < 128, "the kind is one byte");
  out += static_cast<char>(record.index());
  std::visit(
      [&](const auto& r) {
        Writer w{out};
        for_fields(r, [&](const auto& field) {
          w(field);
          return true;
        });
      },
      record);
}

DecodedRecord decode_record(std::string_view in) {
  DecodedRecord result;
  Reader reader{in};
  std::uint8_t kind = 0;
  if (!reader.byte(kind)) return {std::nullopt, "empty record"};
  std::optional<Record> record;
  if (!read_kind(kind, reader, record)) return {std::nullopt, reader.error};
  if (reader.pos != in.size()) return {std::nullopt, "bytes after the record"};
  result.record = std::move(record);
  return result;
}

}  // namespace storage
