#pragma once
// Readiness for plain TCP connections: one epoll set per worker, itself one descriptor in the
// worker's io_context. Design note: Asio's reactor keeps, for every socket, a 168-byte
// descriptor_state, and for every pending wait an operation of about 130 bytes; with the socket
// object that is over half of what an idle lock costs the broker. Here an idle connection is only
// its descriptor in this set, pointing back at its Watcher. Edge-triggered for input and output,
// as Asio registers sockets: a watcher learns that its socket became readable or writable and
// tracks that itself until a short read or EAGAIN says otherwise.
//
// THREADING: everything runs on the worker's thread; a Poller is never touched from another.
#include <cstdint>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>

namespace broker {

class Poller {
 public:
  class Watcher {
   public:
    // `events` are EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP bits. A watcher may destroy itself or
    // other watchers of the same poller from here.
    virtual void on_ready(std::uint32_t events) = 0;

   protected:
    Watcher() = default;
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;
    // Removes itself from a batch of events being dispatched, so a watcher destroyed by an earlier
    // event of the same batch is never called.
    ~Watcher();
  };

  explicit Poller(boost::asio::io_context& io);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  boost::asio::io_context& io() { return io_; }
  // Watches `fd` until it is closed (closing a descriptor leaves every epoll set by itself).
  void add(int fd, Watcher* w, boost::system::error_code& ec);
  // Stops waiting: the set's pending wait was the one piece of work that never lets the
  // io_context run out, so a loop asked to finish its queued work would never return.
  void cancel();

 private:
  void wait();
  void dispatch();

  boost::asio::io_context& io_;
  boost::asio::posix::stream_descriptor epoll_;
};

}  // namespace broker
