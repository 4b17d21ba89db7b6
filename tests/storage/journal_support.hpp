#pragma once
// Shared by the journal tests: a sample record sequence touching every record kind, a canonical
// text form of a PersistedState (its maps are unordered, so two equal states may iterate
// differently), and a walk over a journal file's frames.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "broker/persisted_state.hpp"

namespace journal_test {

namespace p = broker::persist;

// Every kind of record, in an order that leaves something of each in the final state.
inline std::vector<p::Record> sample_records() {
  std::vector<p::Record> r;
  r.push_back(p::SessionCreated{"lock-A"});
  r.push_back(p::SessionOwned{"lock-A", "L0000000001", true});
  r.push_back(p::Subscribed{"lock-A", "/12345678901/call", 1});
  r.push_back(p::Subscribed{"lock-A", "/12345678901/ota", 2});
  r.push_back(p::Unsubscribed{"lock-A", "/12345678901/ota"});
  r.push_back(p::MessageStored{1, broker::make_message("/12345678901/call", "unlock", 1)});
  r.push_back(p::Enqueued{"lock-A", 1, 1, false});
  r.push_back(p::MessageStored{2, broker::make_message("/x/y", std::string("bin\0ary\xff", 8), 2, true)});
  r.push_back(p::Enqueued{"lock-A", 2, 2, true});
  r.push_back(p::Sent{"lock-A", 1, 65535});
  r.push_back(p::Sent{"lock-A", 2, 7});
  r.push_back(p::Released{"lock-A", 7});
  r.push_back(p::MessageStored{3, broker::make_message("/z", "", 1)});
  r.push_back(p::Enqueued{"lock-A", 3, 1, false});
  r.push_back(p::Enqueued{"lock-A", 3, 1, false});
  r.push_back(p::Dropped{"lock-A", 3});
  r.push_back(p::IncomingQos2{"lock-A", 9});
  r.push_back(p::IncomingQos2{"lock-A", 10});
  r.push_back(p::IncomingQos2Done{"lock-A", 9});
  r.push_back(p::SessionDetached{"lock-A", 1764100000123});
  r.push_back(p::SessionCreated{"app-B"});
  r.push_back(p::SessionOwned{"app-B", "", false});
  r.push_back(p::SessionAttached{"app-B"});
  r.push_back(p::Subscribed{"app-B", "/+/statu", 0});
  r.push_back(p::MessageStored{4, broker::make_message("/12345678901/statu", "1", 1, true)});
  r.push_back(p::RetainSet{"/12345678901/statu", 4});
  r.push_back(p::Enqueued{"app-B", 4, 1, false});
  r.push_back(p::Sent{"app-B", 4, 1});
  r.push_back(p::Completed{"app-B", 1});
  r.push_back(p::MessageStored{5, broker::make_message("/gone", "x", 0, true)});
  r.push_back(p::RetainSet{"/gone", 5});
  r.push_back(p::RetainCleared{"/gone"});
  r.push_back(p::SessionCreated{"ended-C"});
  r.push_back(p::SessionEnded{"ended-C"});
  r.push_back(p::MessageStored{600, nullptr});
  return r;
}

inline std::string dump(const broker::PersistedState& s) {
  std::ostringstream out;
  std::vector<std::string> lines;
  for (auto& [id, b] : s.messages) {
    std::ostringstream l;
    l << "msg " << id << " refs " << b.refs;
    if (b.message)
      l << " " << b.message->topic << " [" << b.message->payload << "] q" << int(b.message->qos) << " r"
        << b.message->retain;
    lines.push_back(l.str());
  }
  for (auto& [cid, sess] : s.sessions) {
    std::ostringstream l;
    l << "session " << cid << " detached " << sess.detached_unix_ms << " subs";
    for (auto& [f, q] : sess.subscriptions) l << " " << f << ":" << int(q);
    l << " out";
    for (auto& o : sess.outgoing)
      l << " {" << o.id << " q" << int(o.qos) << " r" << o.retain << " p" << o.packet_id << " rel" << o.released << "}";
    l << " in2";
    for (auto id : sess.incoming_qos2) l << " " << id;
    lines.push_back(l.str());
  }
  std::sort(lines.begin(), lines.end());
  for (auto& l : lines) out << l << "\n";
  for (auto& [topic, id] : s.retained) out << "retained " << topic << " " << id << "\n";
  out << "max " << s.max_message_id << " bytes " << s.stored_bytes() << "\n";
  return out.str();
}

inline broker::PersistedState replay(const std::vector<p::Record>& records, std::size_t n) {
  broker::PersistedState s;
  for (std::size_t i = 0; i < n && i < records.size(); ++i) s.apply(records[i]);
  s.drop_unreferenced();
  return s;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

// Offsets where each frame of a journal starts (after the 12-byte header), and the file end.
inline std::vector<std::size_t> frame_starts(const std::string& data) {
  std::vector<std::size_t> starts;
  std::size_t off = 12;
  while (off + 8 <= data.size()) {
    starts.push_back(off);
    auto* b = reinterpret_cast<const unsigned char*>(data.data() + off);
    std::uint32_t len = b[0] | b[1] << 8 | b[2] << 16 | std::uint32_t(b[3]) << 24;
    off += 8 + len;
  }
  starts.push_back(off);
  return starts;
}

}  // namespace journal_test
