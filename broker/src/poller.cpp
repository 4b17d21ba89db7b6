#include "broker/poller.hpp"

#include <sys/epoll.h>

#include <cerrno>

#include <boost/asio/post.hpp>

namespace broker {

namespace {

// Events fetched per epoll_wait. A full batch yields to other handlers before fetching more.
constexpr int batch_size = 64;

struct Batch {
  epoll_event* events;
  int count;
};
thread_local Batch* dispatching = nullptr;

int make_epoll() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw boost::system::system_error(errno, boost::system::system_category(), "epoll_create1");
  return fd;
}

}  // namespace

Poller::Watcher::~Watcher() {
  if (!dispatching) return;
  for (int i = 0; i < dispatching->count; ++i)
    if (dispatching->events[i].data.ptr == this) dispatching->events[i].data.ptr = nullptr;
}

Poller::Poller(boost::asio::io_context& io) : io_(io), epoll_(io, make_epoll()) { wait(); }

Poller::~Poller() = default;

void Poller::add(int fd, Watcher* w, boost::system::error_code& ec) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = w;
  if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &ev) < 0)
    ec.assign(errno, boost::system::system_category());
  else ec.clear();
}

void Poller::cancel() {
  boost::system::error_code ignored;
  epoll_.cancel(ignored);  // the wait completes with operation_aborted and is not re-armed
}

void Poller::wait() {
  // Asio's own registration of the set is edge-triggered too: this wait is re-armed before the
  // reactor polls again (the handler runs first on this single-threaded context), so no edge is
  // lost between a dispatch and the next wait.
  epoll_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (!ec) dispatch();
  });
}

void Poller::dispatch() {
  epoll_event events[batch_size];
  int n = ::epoll_wait(epoll_.native_handle(), events, batch_size, 0);
  Batch batch{events, n > 0 ? n : 0};
  dispatching = &batch;
  struct Reset {
    ~Reset() { dispatching = nullptr; }
  } reset;
  for (int i = 0; i < batch.count; ++i)
    if (auto* w = static_cast<Watcher*>(events[i].data.ptr)) w->on_ready(events[i].events);
  // A full batch may leave more behind, and an interrupted wait fetched nothing: both come back
  // after what else is queued, since the set's edge has already been consumed.
  if (n == batch_size || (n < 0 && errno == EINTR)) boost::asio::post(io_, [this] { dispatch(); });
  else wait();
}

}  // namespace broker
