#include "rats/core/cache.h"

namespace rats {

std::shared_ptr<const void> CollateralCache::find(const Bytes<32>& key, int64_t at) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.window.contains(at)) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  return it->second.value;
}

void CollateralCache::insert(const Bytes<32>& key, const crypto::ValidityWindow& window,
                             std::shared_ptr<const void> value) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.insert_or_assign(key, Entry{window, std::move(value)});
  if (!inserted) return;  // replaced in place; keeps its position
  order_.push_back(key);
  while (entries_.size() > capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

size_t CollateralCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}
uint64_t CollateralCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}
uint64_t CollateralCache::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

}  // namespace rats
