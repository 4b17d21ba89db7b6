#pragma once
// One MQTT connection of the load tool: CONNECT and CONNACK, SUBSCRIBE, PUBLISH at QoS 0/1/2 with
// the acknowledgements each side owes, PINGREQ every keepalive, and one writer that batches what
// is queued while a write is in flight. Bytes go through broker::codec only.
//
// Threading: one io_context thread per worker; the observer is called on it. A pending operation
// holds the client (shared_from_this); after an error or close() no new operation starts.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/codec/packet.hpp"
#include "link.hpp"

namespace bench {

class Client;

class ClientObserver {
 public:
  virtual ~ClientObserver() = default;
  virtual void on_connected(Client&) {}
  // Once per client, for the first error: before CONNACK it is a connect failure.
  virtual void on_failed(Client&, const std::string& reason) { (void)reason; }
  virtual void on_subscribed(Client&) {}
  // A message delivered to this client (acknowledgements are already queued).
  virtual void on_message(Client&, const broker::codec::Publish&) {}
  // The end of one of our publishes: PUBACK at QoS 1, PUBCOMP at QoS 2.
  virtual void on_published(Client&) {}
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(boost::asio::io_context& io, std::unique_ptr<Link> link, ClientObserver& observer,
         broker::codec::Connect connect);

  void start(const boost::asio::ip::tcp::endpoint& remote, const boost::asio::ip::address& local,
             double timeout_seconds);
  void subscribe(const std::string& filter, std::uint8_t qos);
  void publish(std::string_view topic, std::string_view payload, std::uint8_t qos);
  // Sends DISCONNECT and closes once it is written.
  void disconnect();
  void close();

  bool connected() const { return state_ == State::up; }
  bool closed() const { return state_ == State::closed; }
  // Publishes at QoS 1/2 not yet completed.
  std::uint32_t unacked() const { return unacked_; }
  // Bytes queued and not yet handed to the socket.
  std::size_t queued() const { return out_.size(); }

  std::uint64_t id = 0;          // the scenario's own index
  std::uint32_t role = 0;        // the scenario's own tag
  std::uint64_t started_ns = 0;  // when start() was called, for connect latency

 private:
  enum class State { connecting, up, closing, closed };

  void fail(const std::string& reason);
  void read();
  void handle(std::string_view packet);
  void send(const broker::codec::Packet& p);
  void flush();
  void arm_keepalive();
  std::uint16_t next_packet_id();

  std::unique_ptr<Link> link_;
  ClientObserver& observer_;
  broker::codec::Connect connect_;
  boost::asio::steady_timer timer_;  // connect timeout, then keepalive
  State state_ = State::connecting;
  bool writing_ = false;
  bool reported_ = false;
  std::string out_, writing_buf_;
  std::string in_;
  std::size_t in_at_ = 0;
  std::uint16_t packet_id_ = 0;
  std::uint32_t unacked_ = 0;
};

}  // namespace bench
