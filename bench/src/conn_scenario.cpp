// conn: open this worker's share of connections at its share of the rate, report ready once every
// attempt has settled, hold them idle (keepalive pings only) until told to go and --hold passes,
// then disconnect.
#include <fmt/format.h>

#include "bench/plan.hpp"
#include "bench/stamp.hpp"
#include "scenarios.hpp"
#include "worker_loop.hpp"

namespace bench {
namespace {

namespace codec = broker::codec;

class ConnRun final : public ClientObserver {
 public:
  ConnRun(const Options& o, const WorkerContext& ctx) : loop_(o, ctx), o_(o) {}

  Report run() {
    auto mine = slice(o_.connections, loop_.context().count, loop_.context().index);
    todo_ = mine.count;
    report_.time("first_connect", monotonic_ns());
    for (std::uint64_t i = 0; i < mine.count; ++i) {
      codec::Connect c;
      c.client_id = fmt::format("sbc-{}-{}", ::getpid(), mine.begin + i);
      c.keepalive = o_.keepalive;
      if (!o_.username.empty()) c.username = o_.username;
      if (!o_.password.empty()) c.password = o_.password;
      auto client = loop_.make_client(*this, std::move(c));
      clients_.push_back(client);
      loop_.enqueue(client, mine.begin + i);
    }
    if (todo_ == 0) all_settled();
    loop_.io().run();
    report_.add("held", held_);
    return report_;
  }

  void on_connected(Client& c) override {
    report_.add("connected");
    report_.histograms["connect_ns"].record(monotonic_ns() - c.started_ns);
    report_.time("last_connack", monotonic_ns());
    settle();
  }

  void on_failed(Client& c, const std::string& reason) override {
    if (!hold_started_) {
      report_.add("failed");
      report_.fail(reason);
      settle();
    } else if (!stopping_) {
      report_.add("dropped_while_held");
      report_.fail("while held: " + reason);
    }
    (void)c;
  }

 private:
  void settle() {
    loop_.settled();
    if (--todo_ == 0) all_settled();
  }

  void all_settled() {
    loop_.ready_then(
        [this] {
          hold_started_ = true;
          loop_.after(o_.hold, [this] { finish(); });
        },
        [this] { finish(); });
  }

  void finish() {
    stopping_ = true;
    for (auto& c : clients_) {
      if (c->connected()) {
        ++held_;
        c->disconnect();
      } else {
        c->close();
      }
    }
    loop_.stop_when_closed(clients_, 5);
  }

  WorkerLoop loop_;
  const Options& o_;
  Report report_;
  std::vector<std::shared_ptr<Client>> clients_;
  std::uint64_t todo_ = 0;
  std::uint64_t held_ = 0;
  bool hold_started_ = false;
  bool stopping_ = false;
};

}  // namespace

Report run_conn(const Options& o, const WorkerContext& ctx) { return ConnRun(o, ctx).run(); }

}  // namespace bench
