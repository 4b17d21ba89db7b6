#include "broker/connection_limiter.hpp"

#include <algorithm>
#include <cstring>

namespace broker {

namespace {
constexpr std::size_t idx(Refusal r) { return static_cast<std::size_t>(r); }
}  // namespace

const char* to_string(Refusal r) {
  switch (r) {
    case Refusal::max_connections: return "max_connections";
    case Refusal::listener: return "listener";
    case Refusal::address: return "address";
    case Refusal::rate: return "rate";
    case Refusal::descriptors: return "descriptors";
    case Refusal::count_: break;
  }
  return "?";
}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& o) noexcept {
  if (this != &o) {
    release();
    limiter_ = std::move(o.limiter_);
    listener_ = o.listener_;
    address_ = o.address_;
    o.limiter_.reset();
    o.address_.reset();
  }
  return *this;
}

void ConnectionSlot::release() {
  if (!limiter_) return;
  limiter_->release(*this);
  limiter_.reset();
  address_.reset();
}

std::size_t ConnectionLimiter::KeyHash::operator()(const ConnectionSlot::Key& k) const {
  std::uint64_t a, b;
  std::memcpy(&a, k.data(), 8);
  std::memcpy(&b, k.data() + 8, 8);
  return std::hash<std::uint64_t>()(a * 0x9e3779b97f4a7c15ull ^ b);
}

ConnectionLimiter::ConnectionLimiter(ConnectionLimits limits, const common::Clock& clock)
    : clock_(clock), limits_(limits) {
  if (limits_.accept_rate > 0) limits_.accept_burst = std::max(1.0, limits_.accept_burst);
}

ConnectionLimiter::ConnectionLimiter(ConnectionLimits limits) : ConnectionLimiter(limits, own_clock_) {}

unsigned ConnectionLimiter::add_listener(std::string name, std::size_t max_connections) {
  std::lock_guard lock(mu_);
  listeners_.emplace_back(std::move(name), max_connections);
  return static_cast<unsigned>(listeners_.size() - 1);
}

ConnectionSlot::Key ConnectionLimiter::key_of(const boost::asio::ip::address& a) {
  ConnectionSlot::Key k{};
  if (a.is_v4()) {
    auto b = boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, a.to_v4()).to_bytes();
    std::copy(b.begin(), b.end(), k.begin());
    return k;
  }
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return key_of(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  auto b = v6.to_bytes();
  std::copy(b.begin(), b.begin() + 8, k.begin());  // the /64
  return k;
}

bool ConnectionLimiter::idle(const Address& a, common::Clock::time_point now) const {
  if (a.connections) return false;
  if (limits_.accept_rate <= 0) return true;
  double elapsed = std::chrono::duration<double>(now - a.at).count();
  return a.tokens + elapsed * limits_.accept_rate >= limits_.accept_burst;
}

std::optional<Refusal> ConnectionLimiter::check_address(const ConnectionSlot::Key& key, common::Clock::time_point now) {
  if (limits_.max_per_address == 0 && limits_.accept_rate <= 0) return std::nullopt;
  if (addresses_.size() >= limits_.max_tracked) forget_idle(now);
  auto [it, fresh] = addresses_.try_emplace(key);
  auto& a = it->second;
  if (fresh) {
    a.tokens = limits_.accept_burst;
    a.at = now;
  }
  if (limits_.max_per_address && a.connections >= limits_.max_per_address) return Refusal::address;
  if (limits_.accept_rate > 0) {
    double elapsed = std::chrono::duration<double>(now - a.at).count();
    a.tokens = std::min(limits_.accept_burst, a.tokens + std::max(0.0, elapsed) * limits_.accept_rate);
    a.at = now;
    if (a.tokens < 1) return Refusal::rate;
    a.tokens -= 1;
  }
  return std::nullopt;
}

void ConnectionLimiter::forget_idle(common::Clock::time_point now) {
  for (auto it = addresses_.begin(); it != addresses_.end();)
    it = idle(it->second, now) ? addresses_.erase(it) : std::next(it);
  // Still full: addresses with a drained bucket and no connection lose their bucket early,
  // which favours a flood, but memory stays bounded whatever the flood's spread.
  if (addresses_.size() >= limits_.max_tracked)
    for (auto it = addresses_.begin(); it != addresses_.end();)
      it = it->second.connections ? std::next(it) : addresses_.erase(it);
}

std::uint64_t ConnectionLimiter::refuse(Listener& l, Refusal r, common::Clock::time_point now) {
  ++l.refused[idx(r)];
  std::uint64_t held_back = 0;
  return l.logs[idx(r)].due(now, held_back) ? held_back + 1 : 0;
}

ConnectionLimiter::Decision ConnectionLimiter::admit(unsigned listener, const boost::asio::ip::address& peer,
                                                     bool count_address) {
  auto now = clock_.now();
  std::lock_guard lock(mu_);
  auto& l = listeners_.at(listener);
  Decision d;
  std::optional<ConnectionSlot::Key> key;
  if (limits_.max_connections && connections_ >= limits_.max_connections) d.refused = Refusal::max_connections;
  else if (l.max && l.connections >= l.max) d.refused = Refusal::listener;
  else if (count_address) d.refused = check_address(*(key = key_of(peer)), now);
  if (d.refused) {
    d.log_count = refuse(l, *d.refused, now);
    return d;
  }
  ++connections_;
  ++l.connections;
  d.slot.limiter_ = shared_from_this();
  d.slot.listener_ = listener;
  if (key && addresses_.count(*key)) {
    ++addresses_[*key].connections;
    d.slot.address_ = key;
  }
  return d;
}

ConnectionLimiter::Decision ConnectionLimiter::rebind(ConnectionSlot& slot, const boost::asio::ip::address& client) {
  Decision d;
  if (slot.limiter_.get() != this) return d;
  auto now = clock_.now();
  auto key = key_of(client);
  std::lock_guard lock(mu_);
  if (slot.address_ == key) return d;
  if ((d.refused = check_address(key, now))) {
    d.log_count = refuse(listeners_.at(slot.listener_), *d.refused, now);
    return d;
  }
  if (slot.address_) {
    auto it = addresses_.find(*slot.address_);
    if (it != addresses_.end() && it->second.connections) --it->second.connections;
  }
  slot.address_.reset();
  if (auto it = addresses_.find(key); it != addresses_.end()) {
    ++it->second.connections;
    slot.address_ = key;
  }
  return d;
}

std::uint64_t ConnectionLimiter::accept_failed(unsigned listener) {
  auto now = clock_.now();
  std::lock_guard lock(mu_);
  return refuse(listeners_.at(listener), Refusal::descriptors, now);
}

void ConnectionLimiter::release(const ConnectionSlot& slot) {
  std::lock_guard lock(mu_);
  --connections_;
  --listeners_.at(slot.listener_).connections;
  if (!slot.address_) return;
  auto it = addresses_.find(*slot.address_);
  if (it == addresses_.end()) return;
  if (it->second.connections) --it->second.connections;
  if (idle(it->second, clock_.now())) addresses_.erase(it);
}

std::vector<ConnectionLimiter::ListenerFigures> ConnectionLimiter::figures() const {
  std::lock_guard lock(mu_);
  std::vector<ListenerFigures> out;
  for (auto& l : listeners_) out.push_back({l.name, l.connections, l.max, l.refused});
  return out;
}

std::size_t ConnectionLimiter::connections() const {
  std::lock_guard lock(mu_);
  return connections_;
}

std::size_t ConnectionLimiter::tracked_addresses() const {
  std::lock_guard lock(mu_);
  return addresses_.size();
}

}  // namespace broker
