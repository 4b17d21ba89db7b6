#pragma once
// A broker with no threads and no sockets: workers are task queues the test drains, transports
// record what is written, and time is a clock the test moves. Protocol behaviour (keepalive,
// wills, takeover, expiry) is then tested deterministically, never with sleep().
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>

#include "broker/broker.hpp"
#include "broker/codec/decode.hpp"
#include "broker/codec/encode.hpp"
#include "broker/codec/framer.hpp"
#include "broker/connection.hpp"

namespace test {

struct FakeClock final : common::Clock {
  time_point t{std::chrono::seconds(1000)};
  time_point now() const override { return t; }
  // The wall clock moves with `t`, from a fixed date, so persisted detach times are predictable.
  std::int64_t unix_ms() const override {
    return 1'700'000'000'000 + std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  void advance(std::chrono::milliseconds d) { t += d; }
};

struct QueueExecutor final : broker::Executor {
  std::deque<std::function<void()>> tasks;
  void post(std::function<void()> fn) override { tasks.push_back(std::move(fn)); }
};

class FakeTransport final : public broker::Transport {
 public:
  struct State {
    ReadHandler reader;
    std::string written;
    int writes = 0;  // async_write calls
    bool closed = false;
    // A client that does not read: writes stay pending until release_writes().
    bool hold_writes = false;
    std::vector<WriteHandler> held;
  };
  FakeTransport(std::shared_ptr<State> s, QueueExecutor& ex) : s_(std::move(s)), ex_(ex) {}
  void async_read(ReadHandler h) override { s_->reader = std::move(h); }
  void async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) override {
    ++s_->writes;
    for (auto& b : buffers) s_->written.append(static_cast<const char*>(b.data()), b.size());
    if (s_->hold_writes) s_->held.push_back(std::move(h));
    else ex_.post([h = std::move(h)] { h({}); });
  }
  void close() override {
    if (s_->closed) return;
    s_->closed = true;
    if (auto r = std::move(s_->reader)) {
      s_->reader = nullptr;
      ex_.post([r] { r(boost::asio::error::operation_aborted, {}); });
    }
  }
  std::string remote_address() const override { return "10.0.0.1:1234"; }
  const char* kind() const override { return "tcp"; }

 private:
  std::shared_ptr<State> s_;
  QueueExecutor& ex_;
};

// Records what the broker tells observers.
struct Recorder final : broker::Observer {
  std::vector<std::pair<std::string, std::string>> published;  // topic, payload
  std::vector<std::pair<std::string, broker::DisconnectReason>> disconnected;
  std::vector<std::string> lifecycle;  // "+id" connected, "-id" disconnected, in order
  void on_connected(const broker::ClientInfo& c) override { lifecycle.push_back("+" + c.client_id); }
  void on_publish(const broker::ClientInfo&, const broker::MessagePtr& m) override {
    published.emplace_back(m->topic, m->payload);
  }
  void on_disconnected(const broker::ClientInfo& c, broker::DisconnectReason r) override {
    disconnected.emplace_back(c.client_id, r);
    lifecycle.push_back("-" + c.client_id);
  }
};

class Harness {
 public:
  explicit Harness(unsigned workers = 1, broker::BrokerOptions opt = {}) {
    for (unsigned i = 0; i < workers; ++i) executors.push_back(std::make_unique<QueueExecutor>());
    std::vector<broker::Executor*> ptrs;
    for (auto& e : executors) ptrs.push_back(e.get());
    auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    b = std::make_unique<broker::Broker>(opt, ptrs, clock, log);
    recorder = std::make_shared<Recorder>();
    b->add_observer(recorder);
  }
  // A pending read or held write holds its connection, and the fake transport holds the pending
  // handler: break that cycle as an io_context does when it is destroyed with handlers queued.
  ~Harness() {
    for (auto& io : transports) {
      io->reader = nullptr;
      io->held.clear();
    }
    for (auto& e : executors) e->tasks.clear();
    broker::Broker::set_current_worker(-1);
  }

  // Runs queued tasks on every worker until all are idle.
  void drain() {
    for (bool any = true; any;) {
      any = false;
      for (unsigned i = 0; i < executors.size(); ++i) {
        broker::Broker::set_current_worker(static_cast<int>(i));
        while (!executors[i]->tasks.empty()) {
          auto t = std::move(executors[i]->tasks.front());
          executors[i]->tasks.pop_front();
          t();
          any = true;
        }
      }
    }
  }

  struct Client {
    std::shared_ptr<FakeTransport::State> io = std::make_shared<FakeTransport::State>();
    std::shared_ptr<broker::Connection> conn;
    unsigned worker = 0;
    std::size_t read_pos = 0;
  };

  Client connect_raw(unsigned worker = 0) {
    Client c;
    c.worker = worker;
    c.conn =
        std::make_shared<broker::Connection>(*b, worker, std::make_unique<FakeTransport>(c.io, *executors[worker]));
    broker::Broker::set_current_worker(static_cast<int>(worker));
    c.conn->start();
    drain();
    transports.push_back(c.io);
    return c;
  }

  void send(Client& c, const broker::codec::Packet& p) { send_bytes(c, broker::codec::encode(p)); }
  void send_bytes(Client& c, const std::string& bytes) {
    broker::Broker::set_current_worker(static_cast<int>(c.worker));
    REQUIRE_MESSAGE(c.io->reader, "connection is not reading");
    auto r = std::move(c.io->reader);
    c.io->reader = nullptr;
    r({}, bytes);
    drain();
  }

  // Packets written to the client since the last call.
  std::vector<broker::codec::Packet> received(Client& c) {
    std::vector<broker::codec::Packet> out;
    std::string_view data(c.io->written);
    while (c.read_pos < data.size()) {
      auto f = broker::codec::frame(data.substr(c.read_pos));
      REQUIRE(f.status == broker::codec::Frame::Status::packet);
      auto r = broker::codec::decode(data.substr(c.read_pos, f.total()));
      REQUIRE(r.ok());
      out.push_back(std::move(r.packet));
      c.read_pos += f.total();
    }
    return out;
  }

  Client connect(const std::string& id, bool clean = true, std::uint16_t keepalive = 0,
                 std::optional<broker::codec::Will> will = {}, unsigned worker = 0) {
    broker::codec::Connect p;
    p.client_id = id;
    p.clean_session = clean;
    p.keepalive = keepalive;
    p.will = std::move(will);
    return connect_with(std::move(p), worker);
  }
  // `prepare` runs on the new client before its CONNECT goes out (hold its writes, for example).
  Client connect_with(broker::codec::Connect p, unsigned worker = 0, const std::function<void(Client&)>& prepare = {}) {
    auto c = connect_raw(worker);
    if (prepare) prepare(c);
    send(c, p);
    return c;
  }

  // Completes the writes a client holding them has pending, as if it read them now.
  void release_writes(Client& c) {
    auto held = std::move(c.io->held);
    c.io->held.clear();
    broker::Broker::set_current_worker(static_cast<int>(c.worker));
    for (auto& h : held) h({});
    drain();
  }

  void sweep() {
    for (unsigned i = 0; i < executors.size(); ++i) {
      broker::Broker::set_current_worker(static_cast<int>(i));
      b->sweep(i);
    }
    drain();
  }

  FakeClock clock;
  std::vector<std::shared_ptr<FakeTransport::State>> transports;
  std::vector<std::unique_ptr<QueueExecutor>> executors;
  std::unique_ptr<broker::Broker> b;
  std::shared_ptr<Recorder> recorder;
};

}  // namespace test
