// Cache of verified collateral (issue: "verification reuses what does not change between quotes
// of one platform").
//
// An entry is keyed by the SHA-256 of everything that went into it (the collateral bytes, the
// trust anchor's key and the parts of the evidence it depends on, chosen by the verifier) and
// holds the result of the expensive checks together with the interval in which all of its inputs
// are valid. A lookup hits only for a time inside that interval, so a cached result is never used
// at a time at which the uncached verification would have failed for expiry. Bounded (least
// recently inserted entries go first) and safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "rats/crypto/x509.h"
#include "rats/evidence.h"

namespace rats {

class CollateralCache {
 public:
  explicit CollateralCache(size_t capacity = 256) : capacity_(capacity) {}

  // The value stored under `key` if `at` lies in its window; nullptr otherwise.
  std::shared_ptr<const void> find(const Bytes<32>& key, int64_t at) const;
  void insert(const Bytes<32>& key, const crypto::ValidityWindow& window,
              std::shared_ptr<const void> value);

  template <class T>
  std::shared_ptr<const T> find_as(const Bytes<32>& key, int64_t at) const {
    return std::static_pointer_cast<const T>(find(key, at));
  }

  size_t size() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Entry {
    crypto::ValidityWindow window;
    std::shared_ptr<const void> value;
  };
  size_t capacity_;
  mutable std::mutex mu_;
  std::map<Bytes<32>, Entry> entries_;
  std::list<Bytes<32>> order_;  // insertion order, oldest first
  mutable uint64_t hits_ = 0;
  mutable uint64_t misses_ = 0;
};

}  // namespace rats
