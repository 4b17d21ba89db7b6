#include "broker/stats.hpp"

namespace broker {

Stats::Stats(std::size_t workers) : workers_(workers), slots_(new Slot[workers + 1]) {
  for (std::size_t i = 0; i <= workers_; ++i)
    for (auto& c : slots_[i]) c.store(0, std::memory_order_relaxed);
}

std::uint64_t Stats::get(Stat s) const {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i <= workers_; ++i) sum += slots_[i][index(s)].load(std::memory_order_relaxed);
  return sum;
}

std::uint64_t Stats::get(std::size_t worker, Stat s) const {
  return slots_[worker < workers_ ? worker : workers_][index(s)].load(std::memory_order_relaxed);
}

}  // namespace broker
