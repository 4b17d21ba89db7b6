#include "redis_asio_adapter.hpp"

#include <boost/asio/bind_executor.hpp>

namespace storage::detail {
namespace {

// ev.data holds one strong reference, dropped by the cleanup hook.
using Holder = std::shared_ptr<RedisAsioAdapter>;

RedisAsioAdapter& self(void* p) { return **static_cast<Holder*>(p); }

}  // namespace

void RedisAsioAdapter::attach(redisAsyncContext* ac, boost::asio::io_context& io, Strand strand) {
  auto adapter = std::make_shared<RedisAsioAdapter>(ac, io, std::move(strand));
  ac->ev.data = new Holder(adapter);
  ac->ev.addRead = &RedisAsioAdapter::add_read;
  ac->ev.delRead = &RedisAsioAdapter::del_read;
  ac->ev.addWrite = &RedisAsioAdapter::add_write;
  ac->ev.delWrite = &RedisAsioAdapter::del_write;
  ac->ev.cleanup = &RedisAsioAdapter::cleanup;
}

RedisAsioAdapter::RedisAsioAdapter(redisAsyncContext* ac, boost::asio::io_context& io, Strand strand)
    : ac_(ac), socket_(io, ac->c.fd), strand_(std::move(strand)) {}

void RedisAsioAdapter::add_read(void* p) {
  auto& a = self(p);
  a.want_read_ = true;
  a.arm(true);
}

void RedisAsioAdapter::del_read(void* p) { self(p).want_read_ = false; }

void RedisAsioAdapter::add_write(void* p) {
  auto& a = self(p);
  a.want_write_ = true;
  a.arm(false);
}

void RedisAsioAdapter::del_write(void* p) { self(p).want_write_ = false; }

void RedisAsioAdapter::cleanup(void* p) {
  auto* holder = static_cast<Holder*>(p);
  (*holder)->detach();
  delete holder;
}

// A stale wait (the hook was withdrawn meanwhile) completes harmlessly: the handler re-checks
// want_* before touching hiredis. Withdrawn waits are not cancelled because cancel() on a
// descriptor would cancel the other direction too.
void RedisAsioAdapter::arm(bool for_read) {
  bool& armed = for_read ? read_armed_ : write_armed_;
  if (armed || !ac_) return;
  armed = true;
  auto wait =
      for_read ? boost::asio::posix::stream_descriptor::wait_read : boost::asio::posix::stream_descriptor::wait_write;
  socket_.async_wait(
      wait, boost::asio::bind_executor(strand_, [self = shared_from_this(), for_read](boost::system::error_code ec) {
        (for_read ? self->read_armed_ : self->write_armed_) = false;
        if (ec || !self->ac_) return;
        if (for_read && self->want_read_) redisAsyncHandleRead(self->ac_);
        if (!for_read && self->want_write_) redisAsyncHandleWrite(self->ac_);
        // The call above may have freed the context (ac_ is then null).
        if (self->ac_ && (for_read ? self->want_read_ : self->want_write_)) self->arm(for_read);
      }));
}

void RedisAsioAdapter::detach() {
  ac_ = nullptr;
  want_read_ = want_write_ = false;
  // Give the socket back before hiredis closes it, so the reactor forgets the descriptor first.
  socket_.release();
}

}  // namespace storage::detail
