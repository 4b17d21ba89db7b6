#pragma once
// storage::Sql written once over SqlSession: each call becomes a task on the worker pool, whose
// threads own the connections. SQL text differs per dialect only where the databases disagree
// (upsert syntax); everything else is shared.
#include <functional>
#include <memory>

#include "common/worker_pool.hpp"
#include "sql_session.hpp"
#include "storage/sql.hpp"

namespace storage::detail {

class SqlRepository final : public Sql {
 public:
  SqlRepository(int threads, common::WorkerPool<SqlSession>::Factory make_session);

  void find_binding_by_user(std::string userno, Callback<std::optional<Binding>> done) override;
  void find_bindings_by_lock(std::string lockno, Callback<std::vector<Binding>> done) override;
  void bind(Binding binding, Callback<BindOutcome> done) override;
  void unbind(std::string userno, Callback<bool> done) override;
  void append_history(std::vector<HistoryEvent> events, StatusCallback done) override;
  void history_page(std::string lockno, std::int64_t before_id, int limit,
                    Callback<std::vector<HistoryRow>> done) override;
  void add_device(Device device, Callback<bool> done) override;
  void get_device(std::string lockno, Callback<std::optional<Device>> done) override;
  void list_devices(std::string after_lockno, int limit, Callback<std::vector<Device>> done) override;
  void delete_device(std::string lockno, Callback<bool> done) override;
  void set_device_credential(std::string lockno, std::string credential_hash, Callback<bool> done) override;
  void set_device_firmware(std::string lockno, std::string version, Callback<bool> done) override;
  void touch_device(std::string lockno, std::int64_t seen_ms, Callback<bool> done) override;
  void add_firmware(Firmware firmware, Callback<bool> done) override;
  void get_firmware(std::string version, Callback<std::optional<Firmware>> done) override;
  void list_firmware(Callback<std::vector<Firmware>> done) override;
  void schema_version(Callback<int> done) override;

 private:
  // Runs `work` on a worker; its value or its SqlError becomes the Result given to `done`.
  template <class T, class Done>
  void run(Done done, std::function<T(SqlSession&)> work);

  // Threads that own the connections; queued calls still run at shutdown (writes accepted are
  // written).
  common::WorkerPool<SqlSession> pool_;
};

}  // namespace storage::detail
