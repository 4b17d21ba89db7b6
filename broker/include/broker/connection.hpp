#pragma once
// One client connection: frames and decodes its bytes, runs the MQTT protocol for it, and writes
// what it is sent. One instance per socket, pinned to one worker; every member function runs on
// that worker. Lifetime: the pending read or write (and any pending auth callback) holds a
// shared_ptr; after close() no new operation starts and the object goes away by itself.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/codec/packet.hpp"
#include "broker/hooks.hpp"
#include "broker/session.hpp"
#include "broker/stats.hpp"
#include "broker/transport.hpp"
#include "common/clock.hpp"

namespace broker {

class Broker;

class Connection final : public SessionSink, public std::enable_shared_from_this<Connection> {
 public:
  Connection(Broker& broker, unsigned worker, std::unique_ptr<Transport> transport);
  ~Connection() override;

  void start();
  // Closes with `reason`; publishes the will unless the reason says not to.
  void close(DisconnectReason reason, const std::string& detail = {});
  // Called about once a second by the worker's sweep: keepalive and connect timeouts.
  void check_timers(common::Clock::time_point now);
  // Whether check_timers(now) would act: the sweep asks this of every connection, cheaply.
  bool timer_due(common::Clock::time_point now) const;

  const ClientInfo& info() const { return info_; }
  bool connected() const { return state_ == State::connected; }

  // SessionSink
  void send_publish(const MessagePtr& m, std::uint8_t qos, bool retain, bool dup, std::uint16_t packet_id) override;
  void send_pubrel(std::uint16_t packet_id) override;
  std::size_t write_backlog() const override;
  void taken_over() override { close(DisconnectReason::taken_over); }

  // Hands the writes queued since the last flush to the transport. Called by the worker once it
  // has run the handlers already queued (Broker::flush_soon), so everything one round of reads
  // and cross-worker batches produced for this client leaves in one write.
  void flush_queued();

  // Intrusive list of the worker's connections (owned by Broker's per-worker state).
  Connection* prev_ = nullptr;
  Connection* next_ = nullptr;

 private:
  enum class State : std::uint8_t { awaiting_connect, authenticating, connected, closing, closed };

  struct OutItem;
  struct Writes;
  void read();
  void on_bytes(std::string_view data);
  // Consumes whole packets from `data`; returns how many bytes were used. Stops early when the
  // connection leaves a state in which it can take more packets (authenticating, closing).
  std::size_t consume(std::string_view data);
  void handle(std::string_view packet);
  void on_connect(codec::Connect&& c);
  void on_auth(AuthResult result, std::uint16_t attempt);
  void consume_partial();
  void on_session(std::shared_ptr<Session> s, bool present);
  void on_publish(codec::Publish&& p);
  // The Acl (superusers skip it), then the broker's PublishGuard, for a PUBLISH or the will.
  PublishVerdict authorize(std::string_view topic, bool retain) const;
  void on_subscribe(codec::Subscribe&& s);
  void on_unsubscribe(codec::Unsubscribe&& u);
  void refuse(codec::ConnectReturn code, const char* why);
  void publish_will();
  // Sends a PUBACK/PUBREC/PUBCOMP once what its packet appended to the store is durable
  // (`appended`), and never before an earlier acknowledgement that still waits.
  void acknowledge(codec::Ack ack, bool appended);
  void on_durable();

  void count(Stat s, std::uint64_t n = 1);
  void send_packet(const codec::Packet& p);
  void enqueue(OutItem&& item);
  void flush();
  void on_written(const boost::system::error_code& ec);

  Broker& broker_;
  std::unique_ptr<Transport> transport_;
  std::shared_ptr<Session> session_;
  std::shared_ptr<const Acl> acl_;
  MessagePtr will_;
  ClientInfo info_;
  // Idle connections are the common case, so what only a busy connection needs is allocated on
  // demand and freed when idle: the tail of an incomplete packet, and the write queues.
  std::unique_ptr<std::string> partial_;
  std::unique_ptr<Writes> writes_;
  // Acknowledgements waiting for the store's barrier, in packet order; allocated only while any
  // wait. `waiting`: its own barrier has not completed yet.
  struct HeldAck {
    codec::Ack ack;
    bool waiting;
  };
  std::unique_ptr<std::deque<HeldAck>> held_acks_;
  // Last packet received; before CONNECT completes, when the connection (or CONNECT) arrived.
  common::Clock::time_point last_activity_;
  // The rest share one 8-byte word: every idle connection carries them.
  std::uint16_t auth_attempt_ = 0;
  std::uint16_t worker_;
  std::uint16_t keepalive_ = 0;
  State state_ = State::awaiting_connect;
  bool clean_session_ : 1;
  bool reading_ : 1;
  bool paused_ : 1;         // not reading while CONNECT is being authenticated
  bool flush_pending_ : 1;  // registered with Broker::flush_soon, not flushed yet
};

}  // namespace broker
