// fanin, fanout and p2p: subscribers connect and subscribe first, then publishers; on "go" each
// publisher sends stamped, numbered messages for --duration, flat out or at its share of --rate,
// never with more than --inflight of its messages undelivered (and, at QoS 1/2, unacknowledged).
// Then the run drains until every owed delivery arrived or --drain passes.
#include <fmt/format.h>

#include "bench/plan.hpp"
#include "bench/sequence_tracker.hpp"
#include "bench/stamp.hpp"
#include "scenarios.hpp"
#include "worker_loop.hpp"

namespace bench {
namespace {

namespace codec = broker::codec;

enum Role : std::uint32_t { subscriber = 1, publisher = 2 };

// A full window that has not moved for a second is taken as lost messages (a drop with nothing
// after it leaves no gap to see), so the publisher goes on; the losses still show in the final
// count. Not shorter: forgiving messages that are only late puts more than --inflight in flight,
// and a broker with a bounded queue (Mosquitto's 1000) then drops what it would have delivered.
constexpr std::uint64_t kStallNs = 1'000'000'000;

struct Pub {
  std::shared_ptr<Client> client;
  std::string topic;
  std::string payload;
  std::uint32_t seq = 0;
  std::uint64_t delivered = 0;
  std::uint64_t forgiven = 0;
  std::uint64_t progress_ns = 0;
};

struct Sub {
  std::shared_ptr<Client> client;
  std::vector<SequenceTracker> trackers;  // by local publisher index
};

class MessagesRun final : public ClientObserver {
 public:
  MessagesRun(const Options& o, const WorkerContext& ctx, std::string run)
      : loop_(o, ctx), o_(o), run_(std::move(run)), ticker_(loop_.io()) {
    // p2p splits pairs over workers; fanin and fanout always run in one worker.
    mine_ = o.scenario == Scenario::p2p ? slice(o.publishers, ctx.count, ctx.index) : Slice{0, o.publishers};
    sub_slice_ = o.scenario == Scenario::p2p ? mine_ : Slice{0, o.subscribers};
    fan_ = deliveries_per_message(o.scenario, o.subscribers);
    rate_per_pub_ = o.rate / o.publishers;
  }

  Report run() {
    for (std::uint64_t i = 0; i < sub_slice_.count; ++i) {
      Sub s;
      auto index = sub_slice_.begin + i;
      auto connect = connect_packet(o_.clean_session ? fmt::format("sbs-{}-{}", run_, index)
                                                     : fmt::format("sbs-persistent-{}", index));
      connect.clean_session = o_.clean_session;
      s.client = loop_.make_client(*this, std::move(connect));
      s.client->role = subscriber;
      s.client->id = i;
      s.trackers.resize(mine_.count);
      subs_.push_back(std::move(s));
    }
    for (std::uint64_t i = 0; i < mine_.count; ++i) {
      Pub p;
      p.client = loop_.make_client(*this, connect_packet(fmt::format("sbp-{}-{}", run_, mine_.begin + i)));
      p.client->role = publisher;
      p.client->id = i;
      p.topic = publish_topic(o_.scenario, run_, mine_.begin + i);
      p.payload.assign(o_.payload, 'x');
      pubs_.push_back(std::move(p));
    }
    pending_ = subs_.size();
    for (auto& s : subs_) loop_.enqueue(s.client, s.client->id + sub_slice_.begin);
    if (pending_ == 0) subscribers_done();
    loop_.io().run();
    return report_;
  }

  void on_connected(Client& c) override {
    report_.add("connected");
    report_.histograms["connect_ns"].record(monotonic_ns() - c.started_ns);
    loop_.settled();
    if (c.role == subscriber) {
      c.subscribe(subscribe_filter(o_.scenario, run_, sub_slice_.begin + c.id), o_.qos);
    } else if (--pending_ == 0) {
      publishers_done();
    }
  }

  void on_subscribed(Client&) override {
    if (--pending_ == 0) subscribers_done();
  }

  void on_failed(Client& c, const std::string& reason) override {
    if (stopping_) return;
    report_.fail(reason);
    if (!going_) {
      report_.add("failed");
      if (!c.connected()) loop_.settled();
      if (--pending_ == 0) c.role == subscriber ? subscribers_done() : publishers_done();
    } else {
      report_.add("dropped");
    }
  }

  void on_message(Client& c, const codec::Publish& p) override {
    auto now = monotonic_ns();
    auto stamp = read_stamp(p.payload);
    report_.add("received");
    report_.time("last_delivery", now);
    if (!stamp || stamp->publisher < mine_.begin || stamp->publisher - mine_.begin >= mine_.count) {
      report_.add("foreign");
      return;
    }
    std::size_t local = stamp->publisher - mine_.begin;
    report_.histograms["latency_ns"].record(now > stamp->sent_ns ? now - stamp->sent_ns : 0);
    SequenceTracker& tracker = subs_[c.id].trackers[local];
    Pub& pub = pubs_[local];
    // One publisher's messages arrive in order (MQTT 4.6), so a gap means the broker dropped the
    // numbers skipped: free their window slots now rather than after a stall.
    if (std::int64_t{stamp->seq} > tracker.highest() + 1) pub.forgiven += stamp->seq - (tracker.highest() + 1);
    if (tracker.record(stamp->seq)) {
      report_.add("distinct");
      ++distinct_;
    } else {
      report_.add("duplicates");
    }
    ++pub.delivered;
    pub.progress_ns = now;
    if (publishing_) pump(pub, now);
    else maybe_done();
  }

  void on_published(Client& c) override {
    report_.add("acked");
    if (publishing_) pump(pubs_[c.id], monotonic_ns());
    else maybe_done();
  }

 private:
  codec::Connect connect_packet(std::string id) const {
    codec::Connect c;
    c.client_id = std::move(id);
    c.keepalive = o_.keepalive;
    if (!o_.username.empty()) c.username = o_.username;
    if (!o_.password.empty()) c.password = o_.password;
    return c;
  }

  void subscribers_done() {
    pending_ = pubs_.size();
    for (auto& p : pubs_) loop_.enqueue(p.client, sub_slice_.count + mine_.begin + p.client->id);
    if (pending_ == 0) publishers_done();
  }

  void publishers_done() {
    loop_.ready_then([this] { go(); }, [this] { finish(); });
  }

  void go() {
    going_ = publishing_ = true;
    start_ns_ = monotonic_ns();
    report_.time("first_publish", start_ns_);
    for (auto& p : pubs_) {
      p.progress_ns = start_ns_;
      pump(p, start_ns_);
    }
    tick();
    loop_.after(o_.duration, [this] {
      publishing_ = false;
      report_.time("last_publish", last_publish_ns_ ? last_publish_ns_ : start_ns_);
      loop_.after(o_.drain, [this] { finish(); });
      maybe_done();
    });
  }

  // Paces rate-limited publishers and unsticks windows whose messages were dropped.
  void tick() {
    if (!publishing_) return;
    auto now = monotonic_ns();
    for (auto& p : pubs_) {
      if (window_full(p) && now - p.progress_ns > kStallNs) {
        p.forgiven += outstanding(p);
        p.progress_ns = now;
        report_.add("window_resets");
      }
      pump(p, now);
    }
    ticker_.expires_after(std::chrono::milliseconds(1));
    ticker_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  std::uint64_t outstanding(const Pub& p) const {
    std::uint64_t owed = std::uint64_t{p.seq} * fan_;
    std::uint64_t settled = p.delivered + p.forgiven;
    return owed > settled ? owed - settled : 0;
  }
  bool window_full(const Pub& p) const {
    return outstanding(p) >= std::uint64_t{o_.inflight} * fan_ || (o_.qos && p.client->unacked() >= o_.inflight);
  }

  void pump(Pub& p, std::uint64_t now) {
    if (!p.client->connected()) return;
    std::uint64_t limit = UINT64_MAX;
    if (o_.rate > 0) limit = due(rate_per_pub_, static_cast<double>(now - start_ns_) / 1e9) + 1;
    std::uint64_t sent = 0;
    while (publishing_ && p.seq < limit && !window_full(p)) {
      write_stamp(p.payload, Stamp{now, static_cast<std::uint32_t>(mine_.begin + p.client->id), p.seq});
      p.client->publish(p.topic, p.payload, o_.qos);
      ++p.seq;
      ++sent;
    }
    if (sent) {
      report_.add("sent", sent);
      sent_ += sent;
      last_publish_ns_ = now;
    }
  }

  void maybe_done() {
    if (stopping_ || publishing_ || !going_) return;
    if (distinct_ < sent_ * fan_) return;
    if (o_.qos)
      for (auto& p : pubs_)
        if (p.client->connected() && p.client->unacked()) return;
    finish();
  }

  void finish() {
    if (stopping_) return;
    stopping_ = true;
    publishing_ = false;
    ticker_.cancel();
    report_.add("expected", sent_ * fan_);
    for (auto& s : subs_) s.client->connected() ? s.client->disconnect() : s.client->close();
    for (auto& p : pubs_) p.client->connected() ? p.client->disconnect() : p.client->close();
    std::vector<std::shared_ptr<Client>> all;
    for (auto& s : subs_) all.push_back(s.client);
    for (auto& p : pubs_) all.push_back(p.client);
    loop_.stop_when_closed(std::move(all), 2);
  }

  WorkerLoop loop_;
  const Options& o_;
  std::string run_;
  boost::asio::steady_timer ticker_;
  Slice mine_, sub_slice_;
  std::uint64_t fan_ = 1;
  double rate_per_pub_ = 0;
  std::vector<Sub> subs_;
  std::vector<Pub> pubs_;
  std::uint64_t pending_ = 0;
  std::uint64_t sent_ = 0, distinct_ = 0;
  std::uint64_t start_ns_ = 0, last_publish_ns_ = 0;
  bool going_ = false, publishing_ = false, stopping_ = false;
  Report report_;
};

}  // namespace

Report run_messages(const Options& o, const WorkerContext& ctx, const std::string& run) {
  return MessagesRun(o, ctx, run).run();
}

}  // namespace bench
