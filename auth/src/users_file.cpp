#include "auth/users_file.hpp"

#include <mutex>
#include <stdexcept>
#include <vector>

#include "auth/command_template.hpp"
#include "line_file.hpp"

namespace auth {

UsersFile UsersFile::parse(std::string_view text, const std::string& source) {
  UsersFile out;
  detail::for_each_line(text, [&](const std::vector<std::string>& w, int number) {
    auto fail = [&](const std::string& why) { detail::line_error(source, number, why); };
    if (w[0] == "user") {
      if (w.size() < 3) fail("expected 'user <name> <password> [salt=<salt>] [superuser]'");
      auto& u = out.users[w[1]];
      u.credential = {{"password", w[2]}};
      for (std::size_t i = 3; i < w.size(); ++i) {
        if (w[i] == "superuser") u.credential.emplace_back("is_superuser", "1");
        else if (w[i].rfind("salt=", 0) == 0) u.credential.emplace_back("salt", w[i].substr(5));
        else fail("unknown option '" + w[i] + "'");
      }
    } else if (w[0] == "acl") {
      if (w.size() != 4 || (w[3] != "1" && w[3] != "2" && w[3] != "3"))
        fail("expected 'acl <name> <topic filter> <1|2|3>'");
      out.users[w[1]].acl.emplace_back(w[2], w[3]);
    } else {
      fail("expected 'user' or 'acl', not '" + w[0] + "'");
    }
  });
  for (auto& [name, u] : out.users)
    if (u.credential.empty()) throw std::runtime_error(source + ": acl rows for '" + name + "' without a user line");
  return out;
}

UsersFile UsersFile::load(const std::string& path) { return parse(detail::read_text_file(path), path); }

void UsersFile::apply(storage::KeyValue& kv, const std::string& user_key_pattern, const std::string& acl_key_pattern,
                      std::function<void(storage::Status)> done) const {
  struct Join {
    std::mutex mutex;
    std::size_t pending = 0;
    storage::Status first = storage::Status::success();
    std::function<void(storage::Status)> done;
  };
  auto join = std::make_shared<Join>();
  join->done = std::move(done);
  auto finish = [join](storage::Status s) {
    std::function<void(storage::Status)> fire;
    storage::Status result;
    {
      std::lock_guard lock(join->mutex);
      if (!s.ok && join->first.ok) join->first = s;
      if (--join->pending > 0) return;
      fire = std::move(join->done);
      result = join->first;
    }
    if (fire) fire(result);
  };
  join->pending = 2 * users.size() + 1;  // +1 so callbacks finishing early cannot fire it
  for (const auto& [name, u] : users) {
    kv.hreplace(storage::Db::auth, substitute(user_key_pattern, name, ""), u.credential, std::chrono::milliseconds(0),
                finish);
    // An empty ACL means "no rows": replacing with nothing deletes stale rows.
    kv.hreplace(storage::Db::auth, substitute(acl_key_pattern, name, ""), u.acl, std::chrono::milliseconds(0), finish);
  }
  finish(storage::Status::success());
}

}  // namespace auth
