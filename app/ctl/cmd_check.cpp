// sakura-ctl check: the configuration as the broker would read it (every setting that a start
// would refuse: key templates, hash schemes, binds, proxies), then every store it names, reached
// through the same interfaces the broker uses (a key-value read, the SQL schema version).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <future>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "auth/credential_store.hpp"
#include "auth/store_lock.hpp"
#include "ctl.hpp"
#include "http/api.hpp"
#include "storage/open.hpp"
#include "wire_auth.hpp"
#include "wire_http.hpp"
#include "wire_storage.hpp"

namespace ctl {

namespace {

struct Probe {
  std::string name;
  std::string detail;  // backend and address
  bool ok = false;
  std::string message;
};

// Retries `start` until it answers ok or `within` passes: Redis and MariaDB connect in the
// background, and fail calls fast until they have.
template <class R, class Start>
R retry(Start start, std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    start([promise](R r) { promise->set_value(std::move(r)); });
    R r;
    if (future.wait_for(within) == std::future_status::ready) r = future.get();
    else r.ok = false, r.message = "no answer";
    if (r.ok || std::chrono::steady_clock::now() >= deadline) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

int run_check(Ctl& ctl, const Args& args) {
  po::options_description o;
  o.add_options()("timeout", po::value<int>()->default_value(5), "seconds to reach each store");
  auto vm = parse(args, o, {});
  const std::chrono::milliseconds within(1000LL * std::max(1, vm["timeout"].as<int>()));
  const auto& config = ctl.config();
  std::vector<Probe> probes;
  Probe settings{"config", "", true, ""};
  try {
    app::credential_store(config, nullptr);  // auth_cmd, acl_cmd, issued_password_hash
    app::http_options(config);               // binds, trusted proxies
  } catch (const std::exception& e) {
    settings = {"config", "", false, e.what()};
  }
  probes.push_back(settings);

  auto s = app::storage_config(config);
  s.history = false;
  const bool embedded_kv = s.kv_backend == storage::KvBackend::embedded;
  const bool sqlite = s.sql.backend == storage::SqlBackend::sqlite;
  Probe kv{"kv", embedded_kv ? "embedded " + s.data_dir : "redis " + s.redis.server, false, ""};
  Probe sql{"sql",
            sqlite
                ? "sqlite " + s.data_dir
                : "mariadb " + s.sql.user + "@" + s.sql.host + ":" + std::to_string(s.sql.port) + "/" + s.sql.database,
            false, ""};
  std::unique_ptr<auth::StoreLock> lock;
  if (embedded_kv || sqlite) lock = std::make_unique<auth::StoreLock>(s.data_dir);
  if (lock && !lock->ok()) {
    // The broker that holds the data dir is the proof the embedded file opens; opening it here
    // too would write behind it.
    for (auto* p : {&kv, &sql})
      if ((p == &kv && embedded_kv) || (p == &sql && sqlite)) p->ok = true, p->message = "held by a running broker";
  }
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread thread([&] { io.run(); });
  auto log = spdlog::get("sakura-ctl");
  if (!log) log = spdlog::stderr_color_mt("sakura-ctl");
  log->set_level(spdlog::level::off);
  if (!lock || lock->ok()) {
    auto opened = storage::open(s, io, log);
    if (!opened.ok) {
      kv.message = sql.message = opened.message;
    } else {
      auto r = retry<storage::Result<bool>>(
          [&](auto cb) { opened.value.kv->exists(storage::Db::auth, "sakura-ctl:check", cb); }, within);
      kv.ok = r.ok;
      kv.message = r.ok ? "reachable" : r.message;
      auto v = retry<storage::Result<int>>([&](auto cb) { opened.value.sql->schema_version(cb); }, within);
      sql.ok = v.ok;
      sql.message = v.ok ? "schema version " + std::to_string(v.value) : v.message;
      opened.value.kv->abandon();
    }
  } else {
    // Only the remote one of the two, if any, is probed.
    auto remote = s;
    if (!embedded_kv || !sqlite) {
      remote.data_dir =
          (std::filesystem::temp_directory_path() / ("sakura-ctl-check-" + std::to_string(::getpid()))).string();
      if (embedded_kv) remote.kv_backend = storage::KvBackend::embedded;
      if (sqlite) remote.sql.backend = storage::SqlBackend::sqlite;
      auto opened = storage::open(remote, io, log);
      if (opened.ok && !embedded_kv) {
        auto r = retry<storage::Result<bool>>(
            [&](auto cb) { opened.value.kv->exists(storage::Db::auth, "sakura-ctl:check", cb); }, within);
        kv.ok = r.ok;
        kv.message = r.ok ? "reachable" : r.message;
      }
      if (opened.ok && !sqlite) {
        auto v = retry<storage::Result<int>>([&](auto cb) { opened.value.sql->schema_version(cb); }, within);
        sql.ok = v.ok;
        sql.message = v.ok ? "schema version " + std::to_string(v.value) : v.message;
      }
      std::error_code ec;
      std::filesystem::remove_all(remote.data_dir, ec);
    }
  }
  guard.reset();
  io.stop();
  thread.join();
  probes.push_back(kv);
  probes.push_back(sql);

  bool all = true;
  std::string body = "{\"items\":[";
  for (std::size_t i = 0; i < probes.size(); ++i) {
    auto& p = probes[i];
    all = all && p.ok;
    body += (i ? "," : "") + std::string("{\"check\":") + json_string(p.name) + ",\"store\":" + json_string(p.detail) +
            ",\"ok\":" + (p.ok ? "true" : "false") +
            ",\"result\":" + json_string(p.ok && p.message.empty() ? "ok" : p.message) + "}";
  }
  print_reply({200, body + "]}"}, ctl.json());
  return all ? 0 : 1;
}

}  // namespace ctl
