#pragma once
// The API's broker hook: which users are connected here (online state, credential renewal),
// locks' last seen time, and their reports on /<lockno>/fw (OTA progress, the running version).
//
// THREADING: called on broker I/O threads; it only updates a map under a mutex and starts
// asynchronous store writes.
#include "broker/hooks.hpp"
#include "context.hpp"

namespace http::detail {

// The longest /<lockno>/fw report parsed; a real one (docs/firmware.md) is under 300 bytes.
constexpr std::size_t max_fw_report = 4096;

class FwObserver final : public broker::Observer {
 public:
  explicit FwObserver(ContextPtr ctx) : ctx_(std::move(ctx)) {}
  void on_connected(const broker::ClientInfo& c) override;
  void on_disconnected(const broker::ClientInfo& c, broker::DisconnectReason) override;
  void on_publish(const broker::ClientInfo& from, const broker::MessagePtr& m) override;

 private:
  ContextPtr ctx_;
};

// The lockno of a "/<lockno>/fw" topic, or empty.
std::string fw_topic_lockno(std::string_view topic);

}  // namespace http::detail
