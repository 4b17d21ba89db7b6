#pragma once
// Drives a hiredis redisAsyncContext from Boost.Asio. hiredis asks, through its ev hooks, to
// start or stop watching its socket for reading and writing; we answer with async_wait on a
// stream_descriptor that borrows the socket (hiredis owns and closes it). When the watched
// readiness fires we call redisAsyncHandleRead/Write, then re-arm while hiredis still wants it.
//
// THREADING: every hook, handler and hiredis call runs on one strand, the connection's.
#include <hiredis/async.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>
#include <memory>

namespace storage::detail {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

class RedisAsioAdapter : public std::enable_shared_from_this<RedisAsioAdapter> {
 public:
  // Installs the hooks on `ac`. The adapter stays alive while a wait is pending or the context
  // holds it; hiredis' cleanup hook (on free) detaches it from the socket.
  static void attach(redisAsyncContext* ac, boost::asio::io_context& io, Strand strand);

  RedisAsioAdapter(redisAsyncContext* ac, boost::asio::io_context& io, Strand strand);

 private:
  static void add_read(void* p);
  static void del_read(void* p);
  static void add_write(void* p);
  static void del_write(void* p);
  static void cleanup(void* p);

  void arm(bool for_read);
  void detach();

  redisAsyncContext* ac_;  // null once hiredis freed the context
  boost::asio::posix::stream_descriptor socket_;
  Strand strand_;
  bool want_read_ = false, want_write_ = false;
  bool read_armed_ = false, write_armed_ = false;
};

}  // namespace storage::detail
