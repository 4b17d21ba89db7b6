#include "fakes.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

namespace lockrules_test {

using storage::Db;
using storage::Result;
using storage::Status;

std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::stderr_color_mt("lockrules-test");
    l->set_level(std::getenv("SAKURA_TEST_VERBOSE") ? spdlog::level::debug : spdlog::level::off);
    return l;
  }();
  return log;
}

// --- FakeClock

common::Clock::time_point FakeClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

std::int64_t FakeClock::unix_ms() const {
  std::lock_guard lock(mutex_);
  return unix_ms_;
}

void FakeClock::advance(std::chrono::milliseconds d) {
  std::lock_guard lock(mutex_);
  now_ += d;
  unix_ms_ += d.count();
}

// --- FakeKv

void FakeKv::call(std::string what, Op op) {
  bool fail = false;
  {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(what));
    if (fail_next > 0) {
      --fail_next;
      fail = true;
    }
    if (hold) {
      held_.push_back([this, op = std::move(op), fail] { execute(op, fail); });
      return;
    }
  }
  execute(op, fail);
}

void FakeKv::execute(const Op& op, bool fail) {
  std::function<void()> answer;
  {
    std::lock_guard lock(mutex_);
    answer = op(fail);
  }
  answer();
}

std::size_t FakeKv::pump() {
  std::size_t n = 0;
  for (;;) {
    std::function<void()> next;
    {
      std::lock_guard lock(mutex_);
      if (held_.empty()) return n;
      next = std::move(held_.front());
      held_.pop_front();
    }
    next();
    ++n;
  }
}

std::size_t FakeKv::held() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

std::vector<std::string> FakeKv::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

FakeKv::Entry* FakeKv::find(const Key& k) {
  auto it = data_.find(k);
  if (it == data_.end()) return nullptr;
  if (it->second.deadline && *it->second.deadline <= clock_->now()) {
    data_.erase(it);
    return nullptr;
  }
  return &it->second;
}

std::optional<std::string> FakeKv::string_value(Db db, const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto* e = const_cast<FakeKv*>(this)->find({db, key});
  return e ? e->str : std::nullopt;
}

std::optional<std::string> FakeKv::hash_field(Db db, const std::string& key, const std::string& field) const {
  std::lock_guard lock(mutex_);
  auto* e = const_cast<FakeKv*>(this)->find({db, key});
  if (!e || !e->hash.count(field)) return std::nullopt;
  return e->hash.at(field);
}

void FakeKv::put_hash(Db db, const std::string& key, storage::Fields fields) {
  std::lock_guard lock(mutex_);
  auto& e = data_[{db, key}];
  for (auto& [f, v] : fields) e.hash[f] = v;
}

template <class T>
static std::function<void()> answer(std::function<void(Result<T>)> done, bool fail, T value) {
  if (fail) return [done] { done(Result<T>::failure("injected failure")); };
  return [done, value = std::move(value)] { done(Result<T>::success(value)); };
}

static std::function<void()> answer_status(std::function<void(Status)> done, bool fail) {
  return [done, fail] { done(fail ? Status::failure("injected failure") : Status::success()); };
}

void FakeKv::hmget(Db db, std::string key, std::vector<std::string> fields,
                   Callback<std::vector<std::optional<std::string>>> done) {
  call("hmget " + key, [=](bool fail) {
    std::vector<std::optional<std::string>> out;
    auto* e = find({db, key});
    for (auto& f : fields)
      out.push_back(e && e->hash.count(f) ? std::optional<std::string>(e->hash.at(f)) : std::nullopt);
    return answer(done, fail, out);
  });
}

void FakeKv::hgetall(Db db, std::string key, Callback<storage::Fields> done) {
  call("hgetall " + key, [=](bool fail) {
    storage::Fields out;
    if (auto* e = find({db, key}))
      for (auto& kv : e->hash) out.push_back(kv);
    return answer(done, fail, out);
  });
}

void FakeKv::hset(Db db, std::string key, storage::Fields fields, StatusCallback done) {
  call("hset " + key, [=](bool fail) {
    if (!fail) {
      find({db, key});
      auto& e = data_[{db, key}];
      for (auto& [f, v] : fields) e.hash[f] = v;
    }
    return answer_status(done, fail);
  });
}

void FakeKv::hreplace(Db db, std::string key, storage::Fields fields, std::chrono::milliseconds ttl,
                      StatusCallback done) {
  call("hreplace " + key, [=](bool fail) {
    if (!fail) {
      Entry e;
      for (auto& [f, v] : fields) e.hash[f] = v;
      if (ttl.count() > 0) e.deadline = clock_->now() + ttl;
      data_[{db, key}] = e;
    }
    return answer_status(done, fail);
  });
}

void FakeKv::hdel(Db db, std::string key, std::vector<std::string> fields, Callback<long long> done) {
  call("hdel " + key, [=](bool fail) {
    long long n = 0;
    if (auto* e = find({db, key}); e && !fail)
      for (auto& f : fields) n += static_cast<long long>(e->hash.erase(f));
    return answer(done, fail, n);
  });
}

void FakeKv::del(Db db, std::vector<std::string> keys, Callback<long long> done) {
  std::string what = "del";
  for (auto& k : keys) what += " " + k;
  call(what, [=](bool fail) {
    long long n = 0;
    if (!fail)
      for (auto& k : keys)
        if (find({db, k})) n += static_cast<long long>(data_.erase({db, k}));
    return answer(done, fail, n);
  });
}

void FakeKv::set(Db db, std::string key, std::string value, std::chrono::milliseconds ttl, StatusCallback done) {
  call("set " + key, [=](bool fail) {
    if (!fail) {
      Entry e;
      e.str = value;
      if (ttl.count() > 0) e.deadline = clock_->now() + ttl;
      data_[{db, key}] = e;
    }
    return answer_status(done, fail);
  });
}

void FakeKv::get(Db db, std::string key, Callback<std::optional<std::string>> done) {
  call("get " + key, [=](bool fail) {
    auto* e = find({db, key});
    return answer(done, fail, e ? e->str : std::nullopt);
  });
}

void FakeKv::exists(Db db, std::string key, Callback<bool> done) {
  call("exists " + key, [=](bool fail) { return answer(done, fail, find({db, key}) != nullptr); });
}

void FakeKv::expire(Db db, std::string key, std::chrono::milliseconds ttl, Callback<bool> done) {
  call("expire " + key, [=](bool fail) {
    auto* e = find({db, key});
    if (e && !fail) e->deadline = clock_->now() + ttl;
    return answer(done, fail, e != nullptr);
  });
}

void FakeKv::pttl(Db db, std::string key, Callback<long long> done) {
  call("pttl " + key, [=](bool fail) {
    auto* e = find({db, key});
    long long left = !e ? -2
                     : !e->deadline
                         ? -1
                         : std::chrono::duration_cast<std::chrono::milliseconds>(*e->deadline - clock_->now()).count();
    return answer(done, fail, left);
  });
}

// One page of at most `count` keys after the cursor (the last key returned), in key order.
void FakeKv::scan(Db db, std::string prefix, std::string cursor, std::size_t count, Callback<storage::ScanPage> done) {
  call("scan " + prefix, [=](bool fail) {
    storage::ScanPage page;
    for (auto it = data_.lower_bound({db, cursor}); it != data_.end() && it->first.first == db; ++it) {
      const auto& k = it->first.second;
      if ((!cursor.empty() && k <= cursor) || k.compare(0, prefix.size(), prefix) != 0) continue;
      if (page.keys.size() == count) {
        page.cursor = page.keys.back();
        break;
      }
      if (!it->second.deadline || *it->second.deadline > clock_->now()) page.keys.push_back(k);
    }
    return answer(done, fail, page);
  });
}

void FakeKv::pair_unlock(std::string lockno, char role, std::chrono::milliseconds window,
                         Callback<storage::PairOutcome> done) {
  call("pair_unlock " + lockno + " " + role, [=](bool fail) {
    auto outcome = storage::PairOutcome::waiting;
    if (!fail) {
      const Key other{Db::lock, lockno + "_" + (role == 'm' ? 'f' : 'm')};
      if (find(other)) {
        data_.erase(other);
        outcome = storage::PairOutcome::paired;
      } else {
        Entry e;
        e.str = "1";
        e.deadline = clock_->now() + window;
        data_[{Db::lock, lockno + "_" + role}] = e;
      }
    }
    return answer(done, fail, outcome);
  });
}

// --- FakeHistory

void FakeHistory::append(storage::HistoryEvent event, StatusCallback done) {
  {
    std::lock_guard lock(mutex_);
    if (!refuse) events_.push_back(std::move(event));
  }
  if (done) done(refuse ? Status::failure("spool full") : Status::success());
}

storage::HistoryStats FakeHistory::stats() const {
  std::lock_guard lock(mutex_);
  storage::HistoryStats s;
  s.accepted = s.written = events_.size();
  return s;
}

std::vector<storage::HistoryEvent> FakeHistory::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

// --- FakeControl

void FakeControl::publish(broker::MessagePtr message) {
  std::lock_guard lock(mutex_);
  published_.push_back(std::move(message));
}

void FakeControl::publish_now(broker::MessagePtr message, std::function<void(std::vector<std::string>)> done) {
  auto& topic = message->topic;
  auto id = topic.substr(1, topic.find('/', 1) - 1);
  std::vector<std::string> reached;
  {
    std::lock_guard lock(mutex_);
    published_.push_back(std::move(message));
    if (std::find(offline_.begin(), offline_.end(), id) == offline_.end()) reached.push_back(id);
  }
  done(std::move(reached));
}

void FakeControl::set_offline(const std::string& client_id) {
  std::lock_guard lock(mutex_);
  offline_.push_back(client_id);
}

void FakeControl::disconnect_user(const std::string& username) {
  std::lock_guard lock(mutex_);
  disconnected_.push_back(username);
}

void FakeControl::run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  timers_.emplace(clock_->now() + delay, std::move(fn));
}

void FakeControl::advance(std::chrono::milliseconds d) {
  clock_->advance(d);
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(mutex_);
      auto it = timers_.begin();
      if (it == timers_.end() || it->first > clock_->now()) return;
      fn = std::move(it->second);
      timers_.erase(it);
    }
    fn();
  }
}

std::vector<broker::MessagePtr> FakeControl::published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::vector<std::string> FakeControl::disconnected() const {
  std::lock_guard lock(mutex_);
  return disconnected_;
}

// --- Rig

Rig::Rig(lockrules::Options options) {
  lockrules::Deps deps;
  deps.kv = kv;
  deps.history = history;
  deps.control = &control;
  deps.clock = clock;
  deps.log = logger();
  deps.credentials = credentials;
  credentials->start(control);  // interval 0: revoke only, no timer
  rules = std::make_unique<lockrules::LockRules>(options, deps);
  metrics_ = rules->metrics();
}

void Rig::publish(const std::string& topic, const std::string& payload, const std::string& username) {
  broker::ClientInfo from;
  from.client_id = "client-" + username;
  from.username = username;
  from.address = "127.0.0.1:50000";
  from.listener = "tcp";
  publish_as(from, topic, payload);
}

void Rig::publish_as(const broker::ClientInfo& from, const std::string& topic, const std::string& payload) {
  rules->on_publish(from, broker::make_message(topic, payload, 1));
}

std::size_t Rig::unlocks_sent(const std::string& lockno) const {
  std::size_t n = 0;
  for (auto& m : control.published()) {
    if (m->topic == "/" + lockno + "/call") {
      CHECK(m->payload == "unlock");
      CHECK(m->qos == 0);  // now or never: nothing to resend (docs/lockrules.md)
      CHECK_FALSE(m->retain);
      ++n;
    }
  }
  return n;
}

}  // namespace lockrules_test
