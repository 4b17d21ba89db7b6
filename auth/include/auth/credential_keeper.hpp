#pragma once
// Keeps the credentials of connected users honest in both directions:
//  - renewal: credentials issued by /login expire (auth.credential_ttl). Such a credential carries
//    a `ttl` field (seconds) in its mqtt_user hash; while at least one client of that user stays
//    connected, every auth.credential_check interval its mqtt_user and mqtt_acl keys get PEXPIRE
//    ttl again, so a connected mini-program never loses its login. Credentials without the field
//    (locks, operators' scripts, the old Python login) are never given an expiry.
//  - withdrawal: revoke(username) deletes mqtt_user/mqtt_acl and then disconnects the user's
//    clients (BrokerControl::disconnect_user), which drops their cached Acl. The same periodic
//    check disconnects users whose mqtt_user key has vanished some other way (an operator's DEL,
//    an expiry the renewal could not prevent), so no client outlives its credentials for longer
//    than one interval.
//
// THREADING: Observer hooks run on I/O threads, store callbacks on the store's thread, revoke()
// from anywhere: the user table is behind one mutex, held only for map updates, never across a
// store call.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "auth/credential_store.hpp"
#include "broker/hooks.hpp"

namespace spdlog {
class logger;
}

namespace auth {

class CredentialKeeper final : public broker::Observer, public std::enable_shared_from_this<CredentialKeeper> {
 public:
  struct Stats {
    std::atomic<std::uint64_t> renewed{0};   // PEXPIRE sent for an expiring credential
    std::atomic<std::uint64_t> vanished{0};  // users disconnected because their key was gone
    std::atomic<std::uint64_t> revoked{0};
  };

  CredentialKeeper(std::shared_ptr<CredentialStore> store, std::chrono::milliseconds interval,
                   std::shared_ptr<spdlog::logger> log);

  const std::shared_ptr<CredentialStore>& store() const { return store_; }

  // Starts the periodic check on the broker's timers. `control` must outlive this object's use.
  void start(broker::BrokerControl& control);
  void stop() { stopped_ = true; }

  // Called by the authenticator when `username` logged in with an expiring credential.
  void expect(const std::string& username, std::chrono::milliseconds ttl);

  // Deletes the user's credentials, then disconnects its clients (even if the delete failed:
  // the store being down must not keep a revoked client connected). `done` (may be empty) gets
  // whether anything was stored for the user, or the delete's failure.
  void revoke(const std::string& username, std::function<void(storage::Result<bool>)> done = {});

  // One round of renewal and existence checks (the timer calls it; tests may too).
  void check_now();

  void on_connected(const broker::ClientInfo& client) override;
  void on_disconnected(const broker::ClientInfo& client, broker::DisconnectReason reason) override;

  std::size_t tracked_users() const;
  const Stats& stats() const { return stats_; }

 private:
  struct User {
    unsigned connections = 0;
    std::chrono::milliseconds ttl{0};
    std::chrono::steady_clock::time_point noted;
    std::string user_key, acl_key;
  };
  void schedule();
  void lost(const std::string& username);

  std::shared_ptr<CredentialStore> store_;
  std::chrono::milliseconds interval_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<broker::BrokerControl*> control_{nullptr};
  std::atomic<bool> stopped_{false};
  mutable std::mutex mutex_;
  std::unordered_map<std::string, User> users_;
  Stats stats_;
};

}  // namespace auth
