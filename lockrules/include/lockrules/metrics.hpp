#pragma once
// What the lock rules did, as counters for /metrics and tests. Relaxed atomics: each field is a
// tally written from any thread and read for display; no field is used to synchronise anything.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace lockrules {

struct Metrics {
  using Counter = std::atomic<std::uint64_t>;

  // Two-owner unlock.
  Counter unlocks{0};              // both owners asked: `unlock` offered to the lock
  Counter unlocks_undelivered{0};  // ... but the lock was not connected: none sent, owners told
  Counter windows_opened{0};       // first owner's request, no window of theirs was open here
  Counter windows_renewed{0};      // same owner again while its window was open
  Counter windows_expired{0};      // a window opened here ran out without the other owner

  // /unauth.
  Counter revocations{0};        // credentials found and deleted
  Counter revocations_empty{0};  // own username, but nothing was stored under it
  Counter unauth_forged{0};      // payload named somebody else (or the client had no username)

  // /<lockno>/statu.
  Counter history_events{0};    // status changes recorded (acknowledged by the history spool)
  Counter history_failures{0};  // the spool refused an event (full or disk error)
  Counter status_unchanged{0};  // same as `monitor`: nothing written
  Counter status_other{0};      // payload not -2, 0 or 1, stored in `monitor` without history
  Counter status_invalid{0};    // payload not -2, 0 or 1 that is too long or not printable: dropped

  // The publish guard (topic_guard.hpp): what no ACL setting lets through.
  Counter forged_commands{0};  // /x/call, /x/ota from a non-superuser, /x/m, /x/f from anonymous
  Counter forged_reports{0};   // /x/statu or /x/fw from another account than x's, dropped
  Counter retain_refused{0};   // a retained /x/m, /x/f, /x/call or /unauth, routed without retain
  // Client ids (client_id_guard.hpp).
  Counter client_ids_refused{0};  // a lock's lockno used by another account, or the reverse

  // Health of the rules themselves.
  Counter ignored_topics{0};             // /x/m, /x/f, /x/statu whose x is not an 11-character lockno
  Counter store_errors{0};               // a KeyValue call failed; the input was dropped
  Counter overloaded{0};                 // input dropped because its lock already had too much queued
  std::atomic<std::int64_t> pending{0};  // inputs queued or running now (a gauge)

  // Calls fn(name, help, value, is_gauge) for every field, in a fixed order, for exporters.
  void each(const std::function<void(const char* name, const char* help, std::int64_t value, bool gauge)>& fn) const;
  // Appends every field in the Prometheus text format, as sakura_lockrules_<name>_total
  // (counters) and sakura_lockrules_<name> (gauges), for /metrics.
  void append_prometheus(std::string& out) const;
};

}  // namespace lockrules
