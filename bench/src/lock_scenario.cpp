// lock: this worker's slice of locks, each subscribed to /<lockno>/call, and two owners per lock.
// On "go" pairs start at this worker's share of --pair-rate, round robin over the locks: owner m
// publishes /<lockno>/m, --pair-gap-ms later owner f publishes /<lockno>/f, and the latency runs
// from f's publish to the lock receiving `unlock`. In responder mode each worker also runs a client
// that plays the broker's unlock rule (for brokers without one): it subscribes /+/m and /+/f and,
// once it has seen both for one of this worker's locks, publishes `unlock` to /<lockno>/call. Each
// worker answers only its own locks, so one that finishes early takes nothing from the others; with
// W workers the broker delivers every m and f W times.
#include <deque>
#include <unordered_map>

#include <fmt/format.h>

#include "bench/plan.hpp"
#include "bench/stamp.hpp"
#include "credentials.hpp"
#include "scenarios.hpp"
#include "worker_loop.hpp"

namespace bench {
namespace {

namespace codec = broker::codec;

enum Role : std::uint32_t { lock_role = 1, owner_m = 2, owner_f = 3, responder_role = 4 };

struct Lock {
  std::string no;
  std::shared_ptr<Client> lock, m, f;
  bool pending = false;  // a pair was started and its unlock has not arrived
  std::uint64_t f_sent_ns = 0;
};

class LockRun final : public ClientObserver {
 public:
  LockRun(const Options& o, const WorkerContext& ctx, std::string run)
      : loop_(o, ctx), o_(o), run_(std::move(run)), ticker_(loop_.io()) {
    mine_ = slice(o.locks, ctx.count, ctx.index);
    rate_ = o.pair_rate / ctx.count;
  }

  Report run() {
    bool auth = !o_.auth_redis.empty();
    for (std::uint64_t i = 0; i < mine_.count; ++i) {
      std::uint64_t g = mine_.begin + i;
      Lock l;
      l.no = lockno(g);
      l.lock = client(lock_role, i, l.no, auth ? lock_credential(run_, g) : Credential{});
      l.m =
          client(owner_m, i, fmt::format("sbo-{}-{}-m", run_, g), auth ? owner_credential(run_, g, 'm') : Credential{});
      l.f =
          client(owner_f, i, fmt::format("sbo-{}-{}-f", run_, g), auth ? owner_credential(run_, g, 'f') : Credential{});
      locks_.push_back(std::move(l));
    }
    if (o_.lock_mode == LockMode::responder)
      responder_ = client(responder_role, 0, fmt::format("sbr-{}-{}", run_, loop_.context().index),
                          auth ? responder_credential(run_) : Credential{});
    pending_ = locks_.size() * 3 + (responder_ ? 1 : 0);
    for (auto& l : locks_) {
      loop_.enqueue(l.lock, (mine_.begin + l.lock->id) * 3);
      loop_.enqueue(l.m, (mine_.begin + l.lock->id) * 3 + 1);
      loop_.enqueue(l.f, (mine_.begin + l.lock->id) * 3 + 2);
    }
    if (responder_) loop_.enqueue(responder_, std::uint64_t{o_.locks} * 3 + loop_.context().index);
    if (pending_ == 0) all_settled();
    loop_.io().run();
    return report_;
  }

  void on_connected(Client& c) override {
    report_.add("connected");
    report_.histograms["connect_ns"].record(monotonic_ns() - c.started_ns);
    loop_.settled();
    if (c.role == lock_role) {
      c.subscribe("/" + locks_[c.id].no + "/call", o_.qos);
    } else if (c.role == responder_role) {
      // Two filters, two SUBACKs: wait for both before counting the responder as ready.
      responder_subacks_ = 2;
      c.subscribe("/+/m", o_.qos);
      c.subscribe("/+/f", o_.qos);
    } else {
      settle();
    }
  }

  void on_subscribed(Client& c) override {
    if (c.role == responder_role && --responder_subacks_ > 0) return;
    settle();
  }

  void on_failed(Client& c, const std::string& reason) override {
    if (stopping_) return;
    report_.fail(reason);
    if (!going_) {
      report_.add("failed");
      if (!c.connected()) loop_.settled();
      settle();
    } else {
      report_.add("dropped");
    }
  }

  void on_message(Client& c, const codec::Publish& p) override {
    if (c.role == responder_role) return respond(c, p);
    if (c.role != lock_role) return;
    Lock& l = locks_[c.id];
    if (p.payload != "unlock") {
      report_.add("other_messages");
      return;
    }
    if (!l.pending || !l.f_sent_ns) {
      report_.add("unexpected_unlocks");
      return;
    }
    l.pending = false;
    --open_pairs_;
    report_.add("unlocks");
    auto now = monotonic_ns();
    report_.histograms["unlock_ns"].record(now - l.f_sent_ns);
    report_.time("last_unlock", now);
    if (!starting_) maybe_done();
  }

 private:
  std::shared_ptr<Client> client(Role role, std::uint64_t local, std::string id, const Credential& cred) {
    codec::Connect c;
    c.client_id = std::move(id);
    c.keepalive = o_.keepalive;
    if (!cred.username.empty()) c.username = cred.username, c.password = cred.password;
    auto cl = loop_.make_client(*this, std::move(c));
    cl->role = role;
    cl->id = local;
    return cl;
  }

  void settle() {
    if (--pending_ == 0) all_settled();
  }

  void all_settled() {
    loop_.ready_then([this] { go(); }, [this] { finish(); });
  }

  void go() {
    going_ = starting_ = true;
    start_ns_ = monotonic_ns();
    report_.time("first_pair", start_ns_);
    tick();
    loop_.after(o_.duration, [this] {
      starting_ = false;
      loop_.after(o_.drain + o_.pair_gap_ms / 1e3, [this] { finish(); });
    });
  }

  void tick() {
    if (stopping_) return;
    auto now = monotonic_ns();
    if (starting_) start_pairs(now);
    while (!second_.empty() && second_.front().first <= now) {
      Lock& l = locks_[second_.front().second];
      second_.pop_front();
      l.f_sent_ns = monotonic_ns();
      l.f->publish("/" + l.no + "/f", "open", o_.qos);
    }
    if (!starting_ && second_.empty()) return maybe_done();
    ticker_.expires_after(std::chrono::milliseconds(1));
    ticker_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  void start_pairs(std::uint64_t now) {
    auto owed = due(rate_, static_cast<double>(now - start_ns_) / 1e9) + 1;
    while (pairs_ < owed && !locks_.empty()) {
      // The next lock with no pair in progress; a full circle without one means the broker is
      // behind by more than the whole fleet, which the report shows as skipped pairs.
      std::size_t tried = 0;
      while (tried < locks_.size() && (locks_[cursor_].pending || !locks_[cursor_].m->connected() ||
                                       !locks_[cursor_].f->connected() || !locks_[cursor_].lock->connected())) {
        cursor_ = (cursor_ + 1) % locks_.size();
        ++tried;
      }
      ++pairs_;
      if (tried == locks_.size()) {
        report_.add("pairs_skipped");
        continue;
      }
      Lock& l = locks_[cursor_];
      l.pending = true;
      l.f_sent_ns = 0;
      ++open_pairs_;
      report_.add("pairs");
      l.m->publish("/" + l.no + "/m", "open", o_.qos);
      second_.emplace_back(now + static_cast<std::uint64_t>(o_.pair_gap_ms * 1e6), cursor_);
      cursor_ = (cursor_ + 1) % locks_.size();
    }
  }

  void respond(Client& c, const codec::Publish& p) {
    // "/<lockno>/m": the lock number sits between the first two slashes.
    auto second = p.topic.find('/', 1);
    if (p.topic.empty() || p.topic[0] != '/' || second == std::string::npos || second + 2 != p.topic.size()) return;
    std::string no = p.topic.substr(1, second - 1);
    if (!mine(no)) return;
    auto& seen = halves_[no];
    seen |= p.topic.back() == 'm' ? 1 : 2;
    if (seen != 3) return;
    halves_.erase(no);
    report_.add("responder_unlocks");
    c.publish("/" + no + "/call", "unlock", o_.qos);
  }

  bool mine(const std::string& no) const {
    // lockno() is "B" and ten digits of the run-wide index.
    if (no.size() != 11 || no[0] != 'B') return false;
    std::uint64_t index = 0;
    for (std::size_t i = 1; i < no.size(); ++i) {
      if (no[i] < '0' || no[i] > '9') return false;
      index = index * 10 + static_cast<std::uint64_t>(no[i] - '0');
    }
    return index >= mine_.begin && index < mine_.begin + mine_.count;
  }

  void maybe_done() {
    if (!going_ || starting_ || !second_.empty() || open_pairs_ > 0) return;
    finish();
  }

  void finish() {
    if (stopping_) return;
    stopping_ = true;
    ticker_.cancel();
    report_.add("missing_unlocks", open_pairs_);
    std::vector<std::shared_ptr<Client>> all;
    for (auto& l : locks_)
      for (auto* c : {&l.lock, &l.m, &l.f}) all.push_back(*c);
    if (responder_) all.push_back(responder_);
    for (auto& c : all) c->connected() ? c->disconnect() : c->close();
    loop_.stop_when_closed(std::move(all), 5);
  }

  WorkerLoop loop_;
  const Options& o_;
  std::string run_;
  boost::asio::steady_timer ticker_;
  Slice mine_;
  double rate_ = 0;
  std::vector<Lock> locks_;
  std::shared_ptr<Client> responder_;
  int responder_subacks_ = 0;
  std::unordered_map<std::string, std::uint8_t> halves_;
  std::deque<std::pair<std::uint64_t, std::size_t>> second_;  // (when, lock) for f's publish
  std::size_t cursor_ = 0;
  std::uint64_t pairs_ = 0, open_pairs_ = 0, pending_ = 0;
  std::uint64_t start_ns_ = 0;
  bool going_ = false, starting_ = false, stopping_ = false;
  Report report_;
};

}  // namespace

Report run_lock(const Options& o, const WorkerContext& ctx, const std::string& run) {
  return LockRun(o, ctx, run).run();
}

}  // namespace bench
