#include "auth/credential_keeper.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "broker/log_text.hpp"

namespace auth {

namespace {
// An expect() whose connection never arrived (refused later, closed during the session
// hand-over) is forgotten after this long.
constexpr std::chrono::seconds kUnclaimed{60};
}  // namespace

CredentialKeeper::CredentialKeeper(std::shared_ptr<CredentialStore> store, std::chrono::milliseconds interval,
                                   std::shared_ptr<spdlog::logger> log)
    : store_(std::move(store)), interval_(interval), log_(std::move(log)) {}

void CredentialKeeper::start(broker::BrokerControl& control) {
  control_ = &control;
  schedule();
}

void CredentialKeeper::schedule() {
  auto* control = control_.load();
  if (!control || stopped_ || interval_.count() <= 0) return;
  control->run_after(interval_, [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    self->check_now();
    self->schedule();
  });
}

void CredentialKeeper::expect(const std::string& username, std::chrono::milliseconds ttl) {
  std::lock_guard lock(mutex_);
  auto& u = users_[username];
  u.ttl = ttl;
  u.noted = std::chrono::steady_clock::now();
}

void CredentialKeeper::on_connected(const broker::ClientInfo& client) {
  if (!client.username) return;
  std::lock_guard lock(mutex_);
  auto& u = users_[*client.username];
  ++u.connections;
  u.user_key = store_->layout().user_key(*client.username, client.client_id);
  u.acl_key = store_->layout().acl_key(*client.username, client.client_id);
}

void CredentialKeeper::on_disconnected(const broker::ClientInfo& client, broker::DisconnectReason) {
  if (!client.username) return;
  std::lock_guard lock(mutex_);
  auto it = users_.find(*client.username);
  if (it == users_.end() || it->second.connections == 0) return;  // refused before connecting
  if (--it->second.connections == 0) users_.erase(it);
}

std::size_t CredentialKeeper::tracked_users() const {
  std::lock_guard lock(mutex_);
  return users_.size();
}

void CredentialKeeper::lost(const std::string& username) {
  ++stats_.vanished;
  log_->info("credentials of user={} are gone: disconnecting its clients", broker::log_text(username));
  if (auto* c = control_.load()) c->disconnect_user(username);
}

void CredentialKeeper::check_now() {
  struct Check {
    std::string username, user_key, acl_key;
    std::chrono::milliseconds ttl;
  };
  std::vector<Check> checks;
  {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = users_.begin(); it != users_.end();) {
      auto& u = it->second;
      if (u.connections == 0) {
        it = now - u.noted > kUnclaimed ? users_.erase(it) : std::next(it);
        continue;
      }
      checks.push_back({it->first, u.user_key, u.acl_key, u.ttl});
      ++it;
    }
  }
  auto weak = weak_from_this();
  auto& kv = *store_->kv();
  for (auto& c : checks) {
    auto on_answer = [weak, username = c.username](storage::Result<bool> r) {
      auto self = weak.lock();
      if (!self) return;
      // A store error proves nothing about the credential: keep the client, try next round.
      if (r.ok && !r.value) self->lost(username);
    };
    if (c.ttl.count() > 0) {
      ++stats_.renewed;
      kv.expire(storage::Db::auth, c.user_key, c.ttl, std::move(on_answer));
      kv.expire(storage::Db::auth, c.acl_key, c.ttl, [](storage::Result<bool>) {});
    } else {
      kv.exists(storage::Db::auth, c.user_key, std::move(on_answer));
    }
  }
}

void CredentialKeeper::revoke(const std::string& username, std::function<void(storage::Result<bool>)> done) {
  const auto& layout = store_->layout();
  std::vector<std::string> keys{layout.user_key(username), layout.acl_key(username)};
  // The keys of the client id it connected with too, when a template names %c.
  {
    std::lock_guard lock(mutex_);
    auto it = users_.find(username);
    if (it != users_.end() && !it->second.user_key.empty()) {
      keys.push_back(it->second.user_key);
      keys.push_back(it->second.acl_key);
    }
  }
  ++stats_.revoked;
  store_->kv()->del(
      storage::Db::auth, std::move(keys),
      [weak = weak_from_this(), username, done = std::move(done)](storage::Result<long long> r) {
        if (auto self = weak.lock()) {
          if (!r.ok) self->log_->warn("revoke user={}: delete failed: {}", broker::log_text(username), r.message);
          if (auto* c = self->control_.load()) c->disconnect_user(username);
        }
        if (done) done(r.ok ? storage::Result<bool>::success(r.value > 0) : storage::Result<bool>::failure(r.message));
      });
}

}  // namespace auth
