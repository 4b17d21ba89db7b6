#pragma once
// sakura-ctl: the admin command line. main.cpp reads the same configuration as the broker
// (--config, SAKURA_* environment, --set) and dispatches `sakura-ctl <group> <command> ...` to a
// group's run function; each group lives in its own cmd_<group>.cpp and is listed once in
// main.cpp's table.
//
// How it reaches the store: with auth.backend=redis it talks to Redis directly, like the
// operators' scripts, so it works while the broker runs. With the embedded backend the store is
// the broker's memory; sakura-ctl then opens <node.data_dir>/sakura.db itself only while no
// broker holds <node.data_dir>/sakura.lock (auth/store_lock.hpp), and otherwise refuses. A running
// embedded broker is managed through its HTTP admin API instead.
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "auth/store_lock.hpp"
#include "config.hpp"
#include "storage/open.hpp"

namespace ctl {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The opened store, with its event loop running on a thread of its own (blocking here is fine:
// this is a command line, not an I/O thread).
class Context {
 public:
  explicit Context(const app::Config& config);
  ~Context();

  const app::Config& config() const { return config_; }
  storage::KeyValue& kv();

  // Starts an asynchronous store call and waits for its callback; throws Failure on a store
  // error or when no answer comes within 10 s.
  template <class R, class Start>
  R wait(Start start) {
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    start([promise](R r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
      throw Failure("the store did not answer within 10 s");
    R r = future.get();
    if (!r.ok) throw Failure("store error: " + r.message);
    return r;
  }

 private:
  void open();

  const app::Config& config_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread thread_;
  std::unique_ptr<auth::StoreLock> lock_;
  std::shared_ptr<storage::KeyValue> kv_;
};

using Args = std::vector<std::string>;

// Command groups. Each returns the exit status and prints its own results.
int run_user(Context& ctx, const Args& args);
int run_device(Context& ctx, const Args& args);
// `user list` (user_list.cpp): reads the backends directly, see there.
int list_users(const app::Config& c);

// Helpers shared by the groups.
std::string user_key(const app::Config& c, const std::string& name);
std::string acl_key(const app::Config& c, const std::string& name);
// The value after `--name` in args (removing both), or `fallback`.
std::string take_option(Args& args, const std::string& name, const std::string& fallback = "");
bool take_flag(Args& args, const std::string& name);
// The mqtt_user fields for `password` under auth.issued_password_hash (fresh salt, `hash` field).
storage::Fields credential_fields(const app::Config& c, const std::string& password);

}  // namespace ctl
