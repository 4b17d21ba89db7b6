#include "broker/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/connection.hpp"
#include "broker/tcp_transport.hpp"

namespace broker {

namespace {
unsigned default_threads(unsigned requested) {
  if (requested) return requested;
  auto n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

// Runs fn after delay on `io`; the timer lives in the handler, so nothing is kept elsewhere.
void after(boost::asio::io_context& io, std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}
}  // namespace

Server::Server(ServerOptions options, std::shared_ptr<spdlog::logger> log)
    : options_(std::move(options)),
      log_(std::move(log)),
      limiter_(std::make_shared<ConnectionLimiter>(options_.connections)),
      pool_(default_threads(options_.threads), options_.placement) {
  auto timers = [this](std::chrono::milliseconds delay, std::function<void()> fn) {
    auto w = Broker::current_worker();
    after(pool_.context(w >= 0 ? static_cast<unsigned>(w) : 0), delay, std::move(fn));
  };
  broker_ = std::make_unique<Broker>(options_.broker, pool_.executors(), clock_, log_, timers);
}

Server::~Server() { stop(); }

void Server::add_listener(const std::string& name, const boost::asio::ip::tcp::endpoint& bind,
                          Listener::Accepted accepted, ListenerLimits limits) {
  listeners_.push_back(
      std::make_unique<Listener>(pool_, name, bind, std::move(accepted), log_, limiter_, std::move(limits)));
  listeners_.back()->keep_alive(options_.tcp_keepalive, options_.tcp_keepalive_interval, options_.tcp_keepalive_count);
}

void Server::add_tcp_listener(const std::string& name, const boost::asio::ip::tcp::endpoint& bind,
                              ListenerLimits limits) {
  add_listener(
      name, bind,
      [this](boost::asio::ip::tcp::socket socket, unsigned worker, ConnectionSlot slot) {
        auto t = std::make_unique<TcpTransport>(pool_.poller(worker), std::move(socket));
        t->slot() = std::move(slot);
        start_connection(worker, std::move(t));
      },
      std::move(limits));
}

bool Server::admit_forwarded(Transport& transport, const std::string& listener,
                             const boost::asio::ip::address& client) {
  auto d = limiter_->rebind(transport.slot(), client);
  if (!d.refused) return true;
  if (d.log_count) log_refusals(*log_, listener, *d.refused, d.log_count, client.to_string());
  return false;
}

void Server::start_connection(unsigned worker, std::unique_ptr<Transport> transport) {
  auto c = std::make_shared<Connection>(*broker_, worker, std::move(transport));
  pool_.executor(worker)->post([c] { c->start(); });
}

void Server::start() {
  started_ = true;
  for (auto& l : listeners_) {
    l->start();
    log_->info("listening: {} on port {}", l->name(), l->port());
  }
  for (unsigned w = 0; w < pool_.size(); ++w) schedule_sweep(w);
  schedule_sys();
  pool_.start();
}

void Server::schedule_sweep(unsigned worker) {
  // Once a second: keepalive and connect timeouts; once a minute: session expiry. One timer per
  // worker instead of one per connection keeps idle connections small.
  auto tick = std::make_shared<unsigned>(0);
  auto loop = std::make_shared<std::function<void()>>();
  *loop = [this, worker, tick, weak = std::weak_ptr<std::function<void()>>(loop)] {
    if (stopping_) return;
    broker_->sweep(worker);
    if (worker == 0) pool_.sample_load();
    if (++*tick % 60 == 0) broker_->expire_sessions();
    if (auto self = weak.lock()) after(pool_.context(worker), std::chrono::seconds(1), *self);
  };
  sweeps_.push_back(loop);
  after(pool_.context(worker), std::chrono::seconds(1), *loop);
}

void Server::schedule_sys() {
  if (options_.broker.sys_interval.count() <= 0) return;
  boost::asio::post(pool_.context(0), [this] { publish_sys(); });
}

void Server::publish_sys() {
  if (stopping_) return;
  auto& s = broker_->stats();
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - broker_->started());
  auto pub = [this](const char* topic, std::string value) {
    broker_->publish(make_message(std::string("$SYS/broker/") + topic, std::move(value), 0, true));
  };
  auto n = [&s](Stat stat) { return std::to_string(s.get(stat)); };
  pub("version", "sakura " + options_.version);
  pub("uptime", fmt::format("{} seconds", uptime.count()));
  pub("clients/connected", n(Stat::clients_connected));
  pub("clients/total", std::to_string(broker_->session_count()));
  pub("messages/received", n(Stat::messages_received));
  pub("messages/sent", n(Stat::messages_sent));
  pub("messages/dropped", n(Stat::messages_dropped));
  pub("bytes/received", n(Stat::bytes_received));
  pub("bytes/sent", n(Stat::bytes_sent));
  pub("subscriptions/count", std::to_string(broker_->subscription_count()));
  pub("retained messages/count", std::to_string(broker_->retained().size()));
  pub("retained messages/rejected", std::to_string(broker_->retained().rejected()));
  if (auto* store = broker_->persistence()) {
    pub("persistence/bytes", std::to_string(store->stored_bytes()));
    pub("persistence/dropped", n(Stat::persistence_dropped));
    pub("persistence/refused", n(Stat::persistence_refused));
  }
  after(pool_.context(0), options_.broker.sys_interval, [this] { publish_sys(); });
}

void Server::stop() {
  if (!started_ || stopping_.exchange(true)) return;
  for (auto& l : listeners_) boost::asio::post(pool_.context(0), [&l] { l->stop(); });
  // Each loop closes its connections and then stops, dropping timers still pending (a sweep, the
  // next $SYS round) instead of waiting for them.
  for (unsigned w = 0; w < pool_.size(); ++w) {
    boost::asio::post(pool_.context(w), [this, w] {
      broker_->close_all(w);
      pool_.context(w).stop();
    });
  }
  pool_.stop();
  sweeps_.clear();
}

std::vector<std::pair<std::string, std::uint16_t>> Server::ports() const {
  std::vector<std::pair<std::string, std::uint16_t>> out;
  for (auto& l : listeners_) out.emplace_back(l->name(), l->port());
  return out;
}

}  // namespace broker
