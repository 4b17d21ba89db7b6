#pragma once
// The byte pipe under one MQTT connection: TCP, TLS, WebSocket or WSS. A Connection speaks MQTT
// over any of them; only the transport differs.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include "broker/connection_limiter.hpp"
#include "broker/inline_function.hpp"

namespace broker {

class Transport {
 public:
  // Inline, not std::function: an idle connection keeps one pending, and std::function would put
  // its captured shared_ptr on the heap.
  using ReadHandler = InlineFunction<void(const boost::system::error_code&, std::string_view)>;
  using WriteHandler = std::function<void(const boost::system::error_code&)>;
  virtual ~Transport() = default;

  // Waits for bytes and calls `h` once with what arrived. The bytes are valid only during the
  // call (TCP reads into a per-worker scratch buffer, so an idle connection holds none).
  virtual void async_read(ReadHandler h) = 0;
  // Writes all of `buffers` (scatter-gather); at most one write is outstanding at a time.
  virtual void async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) = 0;
  // Idempotent. Pending operations complete with an error.
  virtual void close() = 0;
  virtual std::string remote_address() const = 0;
  virtual const char* kind() const = 0;  // "tcp", "ws", "tls", "wss"
  // A username the transport vouches for (a TLS client certificate's CN, when the listener is
  // configured to use it); it replaces the one in CONNECT.
  virtual std::optional<std::string> certificate_username() const { return std::nullopt; }

  // The connection's share of the admission counts (connection_limiter.hpp): it is given back
  // when the transport, and so the socket, goes away.
  ConnectionSlot& slot() { return slot_; }

 private:
  ConnectionSlot slot_;
};

}  // namespace broker
