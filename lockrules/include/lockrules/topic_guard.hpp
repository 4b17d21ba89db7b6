#pragma once
// Who may publish on a lock's topics, whatever the ACL says (INTERFACES.md, Topics). The ACL is
// configuration: with auth.acl_nomatch=allow, or anonymous clients and no acl file, it lets any
// client publish anywhere, and a forged `unlock` on /<lockno>/call would open the door. These
// rules are structural, so no configuration reopens that:
//   /<x>/call, /<x>/ota      commands to a lock: only a superuser (the broker's own publishes,
//                            BrokerControl::publish, are not asked)
//   /<x>/statu, /<x>/fw      a lock's reports: only the lock's own account (username == x) or a
//                            superuser
//   /<x>/m, /<x>/f           an owner's unlock request: not from an anonymous client (an owner
//                            always holds the credentials /login issued); which owner is the
//                            ACL's decision (the login grants /<lockno>/<morf> only)
//   /<x>/m, /<x>/f, /unauth,
//   /<x>/call                requests and commands are live: a retained one is routed without
//                            retain, so nothing is stored for later subscribers
// Every other topic: one length check and a compare of its last level.
//
// THREADING: check() runs on the publisher's I/O thread and is const and lock-free (relaxed
// counters, a LogThrottle per kind of refusal).
#include <memory>

#include "broker/hooks.hpp"
#include "broker/log_throttle.hpp"
#include "common/clock.hpp"
#include "lockrules/metrics.hpp"

namespace spdlog {
class logger;
}

namespace lockrules {

class TopicGuard final : public broker::PublishGuard {
 public:
  TopicGuard(std::shared_ptr<Metrics> metrics, std::shared_ptr<const common::Clock> clock,
             std::shared_ptr<spdlog::logger> log);

  broker::PublishVerdict check(const broker::ClientInfo& from, std::string_view topic, bool retain) const override;

 private:
  void refused(const broker::ClientInfo& from, std::string_view topic, Metrics::Counter& counter,
               broker::LogThrottle& throttle, const char* what) const;

  std::shared_ptr<Metrics> metrics_;
  std::shared_ptr<const common::Clock> clock_;
  std::shared_ptr<spdlog::logger> log_;
  mutable broker::LogThrottle command_log_, report_log_, retain_log_;
};

}  // namespace lockrules
