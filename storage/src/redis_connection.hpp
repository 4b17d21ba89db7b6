#pragma once
// One pipelined hiredis connection to one Redis database, living on a strand of the broker's
// io_context: connects (AUTH, SELECT), times commands out, reconnects with exponential backoff.
// Once lost, commands fail at once until it is back: an auth check must fail closed, not queue.
// Only during the first connect after start do they wait (bounded by the command timeout).
//
// THREADING: command() may be called from any thread; it posts to the strand. Everything else,
// including the reply callbacks, runs on the strand.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "redis_asio_adapter.hpp"
#include "storage/config.hpp"
#include "storage/result.hpp"

namespace spdlog {
class logger;
}

namespace storage::detail {

// A copy of a hiredis reply that outlives the callback it came in.
struct RedisReply {
  enum class Type { string, integer, nil, array, status, error };
  Type type = Type::nil;
  std::string str;
  long long integer = 0;
  std::vector<RedisReply> elements;
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  using Done = std::function<void(Result<RedisReply>)>;

  RedisConnection(boost::asio::io_context& io, RedisConfig config, int db, std::shared_ptr<spdlog::logger> log);
  ~RedisConnection();

  void start();
  // Frees the hiredis context on the strand; pending commands fail. Call before release.
  void stop();
  // For when the io_context will never run again (shutdown, after the loops were joined), so
  // stop()'s post would never run: frees the context and drops pending commands without calling
  // them back. Their callbacks may hold this connection or its owners (an EVAL retry holds the
  // connection; a lock rule holds the store), a cycle only dropping them breaks. Not thread-safe:
  // call only while no thread runs the io_context.
  void abandon();
  // Sends argv as one command (binary-safe: no formatting, so values cannot inject arguments).
  // An error reply from Redis arrives as a successful Result with type error.
  void command(std::vector<std::string> argv, Done done);
  bool ready() const { return ready_.load(); }

 private:
  struct Pending {
    Done done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  void connect();
  void connect_to(const std::string& ip);
  void send(std::vector<std::string> argv, Done done);
  void handshake();
  void teardown(const std::string& why);
  void lost(const std::string& why);
  void schedule_reconnect();
  void finish(std::uint64_t id, Result<RedisReply> r);

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);

  boost::asio::io_context& io_;
  Strand strand_;
  RedisConfig config_;
  int db_;
  std::shared_ptr<spdlog::logger> log_;
  std::string host_;
  int port_ = 0;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer connect_timer_;

  redisAsyncContext* ac_ = nullptr;
  std::atomic<bool> ready_{false};
  bool ever_ready_ = false;  // the first connect has succeeded once (see command())
  bool stopped_ = false;
  bool down_logged_ = false;
  bool retry_scheduled_ = false;
  std::chrono::milliseconds backoff_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Pending> pending_;
};

}  // namespace storage::detail
