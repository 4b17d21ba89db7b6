// TcpTransport on its Poller, against real loopback sockets: reads, writes larger than the socket
// buffer, peer close, close() with operations pending, and a transport destroyed by an earlier
// event of the same epoll batch. No sleeps: the io_context runs until the awaited handler ran.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "broker/poller.hpp"
#include "broker/tcp_transport.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using broker::TcpTransport;

namespace {

struct Pair {
  asio::io_context io;
  broker::Poller poller{io};
  tcp::socket peer{io};
  std::unique_ptr<TcpTransport> transport;

  Pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer.connect(acceptor.local_endpoint());
    transport = std::make_unique<TcpTransport>(poller, acceptor.accept());
  }

  // Runs handlers until `done` holds; fails after two seconds instead of hanging.
  void run_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
    REQUIRE(done());
  }
};

struct ReadResult {
  bool called = false;
  boost::system::error_code ec;
  std::string data;
};

broker::Transport::ReadHandler record(ReadResult& r) {
  return [&r](const boost::system::error_code& ec, std::string_view data) {
    r.called = true;
    r.ec = ec;
    r.data = std::string(data);
  };
}

}  // namespace

TEST_CASE("bytes from the peer arrive in a read; a closed peer ends the next read with eof") {
  Pair p;
  ReadResult r;
  p.transport->async_read(record(r));
  asio::write(p.peer, asio::buffer(std::string("\x10\x0c hello")));
  p.run_until([&] { return r.called; });
  CHECK_FALSE(r.ec);
  CHECK(r.data == "\x10\x0c hello");

  ReadResult end;
  p.transport->async_read(record(end));
  p.peer.close();
  p.run_until([&] { return end.called; });
  CHECK(end.ec == asio::error::eof);
}

TEST_CASE("bytes that arrived while no read was pending are delivered later, not inside async_read") {
  Pair p;
  ReadResult first;
  p.transport->async_read(record(first));
  asio::write(p.peer, asio::buffer(std::string("one")));
  p.run_until([&] { return first.called; });

  // Readable again while nobody reads (a connection paused during authentication).
  asio::write(p.peer, asio::buffer(std::string("two")));
  p.io.poll();
  ReadResult second;
  p.transport->async_read(record(second));
  CHECK_FALSE(second.called);
  p.run_until([&] { return second.called; });
  CHECK(second.data == "two");
}

TEST_CASE("a scatter-gather write larger than the socket buffers completes once the peer has it all") {
  Pair p;
  std::vector<std::string> pieces;
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    pieces.push_back(std::string(40000 + i, static_cast<char>('a' + i % 26)));
    expected += pieces.back();
  }
  std::vector<asio::const_buffer> buffers;
  for (auto& piece : pieces) buffers.emplace_back(piece.data(), piece.size());

  bool written = false;
  boost::system::error_code write_ec;
  p.transport->async_write(buffers, [&](const boost::system::error_code& ec) {
    written = true;
    write_ec = ec;
  });
  CHECK_FALSE(written);  // never inside the call that started it
  buffers.clear();       // the transport keeps what it still needs

  std::string received(expected.size(), '\0');
  bool all_read = false;
  asio::async_read(p.peer, asio::buffer(received),
                   [&](const boost::system::error_code& ec, std::size_t) { all_read = !ec; });
  p.run_until([&] { return written && all_read; });
  CHECK_FALSE(write_ec);
  CHECK(received == expected);
}

TEST_CASE("close() ends a pending read and a blocked write with operation_aborted, after returning") {
  Pair p;
  ReadResult r;
  p.transport->async_read(record(r));
  std::string big(8 << 20, 'x');  // more than loopback buffers hold while the peer does not read
  bool written = false;
  boost::system::error_code write_ec;
  p.transport->async_write({asio::buffer(big)}, [&](const boost::system::error_code& ec) {
    written = true;
    write_ec = ec;
  });
  p.io.poll();
  REQUIRE_FALSE(written);

  p.transport->close();
  p.transport->close();  // idempotent
  CHECK_FALSE(r.called);
  CHECK_FALSE(written);
  p.run_until([&] { return r.called && written; });
  CHECK(r.ec == asio::error::operation_aborted);
  CHECK(write_ec == asio::error::operation_aborted);

  ReadResult after;
  p.transport->async_read(record(after));
  p.run_until([&] { return after.called; });
  CHECK(after.ec == asio::error::operation_aborted);
}

TEST_CASE("a transport destroyed by an earlier event of the same batch is never called") {
  Pair a;
  // Both transports on a's poller, so both readable edges come back from one epoll_wait.
  tcp::acceptor acceptor(a.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket peer_b(a.io);
  peer_b.connect(acceptor.local_endpoint());
  auto b = std::make_unique<TcpTransport>(a.poller, acceptor.accept());

  int reads = 0;
  // Whichever runs first destroys the other, as a takeover can end another connection.
  a.transport->async_read([&](const boost::system::error_code&, std::string_view) {
    ++reads;
    b.reset();
  });
  b->async_read([&](const boost::system::error_code&, std::string_view) {
    ++reads;
    a.transport.reset();
  });
  asio::write(a.peer, asio::buffer(std::string("a")));
  asio::write(peer_b, asio::buffer(std::string("b")));
  a.run_until([&] { return reads > 0; });
  a.io.poll();
  CHECK(reads == 1);
  CHECK((a.transport == nullptr) != (b == nullptr));
}

TEST_CASE("remote_address names the peer") {
  Pair p;
  auto local = p.peer.local_endpoint();
  CHECK(p.transport->remote_address() == "127.0.0.1:" + std::to_string(local.port()));
}
