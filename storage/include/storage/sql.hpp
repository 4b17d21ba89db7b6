#pragma once
// The typed repository over the SQL tables; callers never write SQL. Both backends (SQLite,
// MariaDB) create and migrate the schema at start and use prepared statements only.
//
// THREADING: every method may be called from any thread and returns at once; the callback runs
// exactly once on one of the backend's worker threads. Callers that need their own thread post
// back. MariaDB runs calls on several connections, so two calls issued without waiting for the
// first callback may complete in either order; chain them when order matters.
// Strings are passed as bytes; MariaDB text columns are utf8mb4 and refuse invalid UTF-8 with an
// error (never silently altered), SQLite keeps any bytes.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/records.hpp"
#include "storage/result.hpp"

namespace storage {

class Sql {
 public:
  using StatusCallback = std::function<void(Status)>;
  template <class T>
  using Callback = std::function<void(Result<T>)>;

  virtual ~Sql() = default;

  // --- user2lock
  virtual void find_binding_by_user(std::string userno, Callback<std::optional<Binding>> done) = 0;
  virtual void find_bindings_by_lock(std::string lockno, Callback<std::vector<Binding>> done) = 0;
  virtual void bind(Binding binding, Callback<BindOutcome> done) = 0;
  // Answers whether a row was removed.
  virtual void unbind(std::string userno, Callback<bool> done) = 0;

  // --- lockhistory
  // Appends in order, in one transaction. Idempotent per HistoryEvent::uid: an event already
  // present is skipped, so a replay after an unknown outcome writes it exactly once.
  virtual void append_history(std::vector<HistoryEvent> events, StatusCallback done) = 0;
  // Newest first. before_id 0 = start from the newest; otherwise rows with id < before_id.
  virtual void history_page(std::string lockno, std::int64_t before_id, int limit,
                            Callback<std::vector<HistoryRow>> done) = 0;

  // --- devices
  // Answers false when the lockno is already registered.
  virtual void add_device(Device device, Callback<bool> done) = 0;
  virtual void get_device(std::string lockno, Callback<std::optional<Device>> done) = 0;
  // Ordered by lockno; after_lockno "" = from the start.
  virtual void list_devices(std::string after_lockno, int limit, Callback<std::vector<Device>> done) = 0;
  virtual void delete_device(std::string lockno, Callback<bool> done) = 0;
  virtual void set_device_credential(std::string lockno, std::string credential_hash, Callback<bool> done) = 0;
  virtual void set_device_firmware(std::string lockno, std::string version, Callback<bool> done) = 0;
  virtual void touch_device(std::string lockno, std::int64_t seen_ms, Callback<bool> done) = 0;

  // --- firmware
  // Answers false when the version already exists.
  virtual void add_firmware(Firmware firmware, Callback<bool> done) = 0;
  virtual void get_firmware(std::string version, Callback<std::optional<Firmware>> done) = 0;
  // Newest first.
  virtual void list_firmware(Callback<std::vector<Firmware>> done) = 0;

  // The applied schema version (the highest row of schema_version).
  virtual void schema_version(Callback<int> done) = 0;
};

}  // namespace storage
