#pragma once
// The process's file descriptors, prepared once at startup for a fleet of connections.
#include <cstddef>

#include <spdlog/logger.h>

namespace app {

// Raises the soft open-files limit to the hard one (every connection is a descriptor; a login
// shell's default soft limit of 1,024 would cap the broker there), then grows the kernel's
// descriptor table to that limit while the process is still single-threaded. Design note: Linux
// grows the table by doubling when a new descriptor does not fit, and in a multi-threaded process
// each growth waits for an RCU grace period: measured here, accept() took 10-23 ms whenever the
// descriptor number crossed 256, 512, 1,024 and 2,048, which made Sakura's connect p99 9 ms at
// only 1,000 connections a second against Mosquitto's 0.5 ms (single-threaded, it never waits).
// The table never shrinks; it costs the kernel 8 bytes per slot (256 KiB for 20,000), capped at
// 2^20 slots.
void prepare_descriptors(spdlog::logger& log);

// The soft open-files limit now (after prepare_descriptors: the hard one); 2^20 when unlimited.
std::size_t open_files_limit();

// How the descriptors are shared when limits.max_connections / http.max_connections are `auto`:
// `reserved` (at most half the limit) stays out of the clients' reach for storage, the journal,
// the history spool, TLS reloads and the HTTP API; the HTTP API may take half of the reserve, up
// to 512; MQTT clients get the rest. An attacker who fills every MQTT slot then meets refusals,
// not EMFILE, and nothing else runs out.
struct DescriptorBudget {
  std::size_t mqtt;
  std::size_t http;
};
DescriptorBudget descriptor_budget(std::size_t open_files, std::size_t reserved);

}  // namespace app
