#pragma once
// One connection's permissions, built once at CONNECT from its user's mqtt_acl rows, the global
// rules that apply to it, and auth.acl_nomatch. Immutable, so the broker may ask it from any
// thread without a lock; it is dropped with the connection, which is how a revocation also drops
// every decision taken from it.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/acl_file.hpp"
#include "broker/hooks.hpp"
#include "storage/key_value.hpp"

namespace auth {

class UserAcl final : public broker::Acl {
 public:
  struct Row {
    std::string filter;  // %u / %c already substituted
    unsigned access;     // 1 subscribe, 2 publish, 3 both
  };

  // `rows` as read by HGETALL (filter -> "1" | "2" | "3"). A row with another value grants
  // nothing but still makes the user whitelist-only (failing closed). `global` holds only the rules for this client,
  // already substituted.
  UserAcl(const storage::Fields& rows, std::string_view username, std::string_view client_id, GlobalRules global,
          bool nomatch_allow);

  bool allow_publish(std::string_view topic) const override;
  bool allow_subscribe(std::string_view filter) const override;

  bool whitelist() const { return whitelist_; }
  const std::vector<Row>& rows() const { return rows_; }

 private:
  bool decide(Access access, std::string_view topic) const;

  bool whitelist_;
  std::vector<Row> rows_;
  GlobalRules global_;
  bool nomatch_allow_;
};

}  // namespace auth
