// Caches of verification results (issue: "verification reuses what does not change between quotes
// of one platform").
//
// Both caches map the exact bytes a result was computed from to that result and to the interval
// in which all of its inputs are valid. A lookup hits only for a time inside that interval, so a
// cached result is never used at a time at which the uncached verification would have failed for
// expiry. Keys are compared byte for byte: a lookup costs a short fingerprint of the key (a sample
// of its bytes, to find the candidates) and one comparison, not a digest of kilobytes of
// collateral per piece of evidence. Each cache is bounded (least recently inserted entries go
// first) and safe for concurrent use.
//
// - CollateralCache: the outcome of the expensive collateral checks, keyed by everything that went
//   into them (the collateral bytes and the parts of the evidence they depend on, chosen by the
//   verifier), or by a digest of that when the verifier prefers one.
// - SignatureMemo, held by each CollateralCache: signatures that verified inside a verification
//   that fully succeeded, keyed by (signed bytes, signature, SHA-256 of the signer's certificate)
//   and valid only inside the window of the collateral that verification used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "rats/crypto/x509.h"
#include "rats/evidence.h"

namespace rats {

// A cache key: the exact bytes of its inputs, as a sequence of parts. Two keys are equal when they
// have the same number of parts and each part has the same bytes, so parts need no framing. A
// lookup borrows the caller's bytes; an entry keeps its own copy.
using KeyParts = std::span<const std::span<const uint8_t>>;

// The store behind both caches: exact keys → (validity window, value), bounded, oldest-inserted
// entries evicted first, guarded by a mutex.
class WindowedStore {
 public:
  explicit WindowedStore(size_t capacity) : capacity_(capacity) {}

  // The value stored under `key` (which may be null) if `at` lies in its window; nullopt when
  // there is no such entry or `at` lies outside its window.
  std::optional<std::shared_ptr<const void>> find(KeyParts key, int64_t at) const;
  // Stores `value` under `key` for `window`. An entry with an equal key is replaced in place (it
  // keeps its place in the eviction order); otherwise the oldest entries leave while the store
  // would exceed its capacity. A capacity of 0 stores nothing.
  void insert(KeyParts key, const crypto::ValidityWindow& window,
              std::shared_ptr<const void> value);

  size_t capacity() const { return capacity_; }
  size_t size() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Entry {
    uint64_t fingerprint = 0;
    std::vector<uint8_t> bytes;      // the parts, one after another
    std::vector<size_t> part_sizes;  // their sizes, in order
    crypto::ValidityWindow window;
    std::shared_ptr<const void> value;

    bool equals(KeyParts key) const;
  };
  using List = std::list<Entry>;

  // The entry whose key equals `key`, or entries_.end(); with mu_ held.
  List::iterator locate(uint64_t fingerprint, KeyParts key) const;

  size_t capacity_;
  mutable std::mutex mu_;
  mutable List entries_;                                     // insertion order, oldest first
  std::unordered_multimap<uint64_t, List::iterator> index_;  // by fingerprint
  mutable uint64_t hits_ = 0;
  mutable uint64_t misses_ = 0;
};

// A 64-bit fingerprint of `key` for WindowedStore's index: the number of parts, each part's size
// and a sample of its bytes (all of them for parts up to 512 bytes, else 32 eight-byte words
// spread evenly over it). Equal keys have equal fingerprints; entries are told apart by comparing
// their bytes, so a collision costs a comparison, never a wrong hit.
uint64_t key_fingerprint(KeyParts key);

// Signatures known to verify. An entry says: `signature` over `message` verified under the public
// key of the certificate whose DER has SHA-256 `signer`, inside a verification whose every check
// passed, with collateral valid over `window`. The verifier records an entry only after such a
// verification and consults it only for a time inside that window; any other lookup verifies
// again.
class SignatureMemo {
 public:
  explicit SignatureMemo(size_t capacity) : store_(capacity) {}

  // True when (message, signature, signer) was recorded with a window holding `at`.
  bool verified(std::span<const uint8_t> message, std::span<const uint8_t> signature,
                const Bytes<32>& signer, int64_t at) const;
  void record(std::span<const uint8_t> message, std::span<const uint8_t> signature,
              const Bytes<32>& signer, const crypto::ValidityWindow& window);

  size_t capacity() const { return store_.capacity(); }
  size_t size() const { return store_.size(); }
  uint64_t hits() const { return store_.hits(); }
  uint64_t misses() const { return store_.misses(); }

 private:
  WindowedStore store_;
};

class CollateralCache {
 public:
  // `capacity` collateral entries (each keeps a copy of its key: for Intel quotes the collateral
  // and the certification data, about 25 KB) and `signature_capacity` memoised signatures (about
  // 700 bytes each).
  explicit CollateralCache(size_t capacity = 256, size_t signature_capacity = 1024)
      : store_(capacity), signatures_(signature_capacity) {}

  // The value stored under `key` if `at` lies in its window; nullptr otherwise.
  std::shared_ptr<const void> find(KeyParts key, int64_t at) const;
  void insert(KeyParts key, const crypto::ValidityWindow& window,
              std::shared_ptr<const void> value);
  // The same with a key that is a digest the verifier computed (one 32-byte part).
  std::shared_ptr<const void> find(const Bytes<32>& key, int64_t at) const;
  void insert(const Bytes<32>& key, const crypto::ValidityWindow& window,
              std::shared_ptr<const void> value);

  template <class T>
  std::shared_ptr<const T> find_as(const Bytes<32>& key, int64_t at) const {
    return std::static_pointer_cast<const T>(find(key, at));
  }
  template <class T>
  std::shared_ptr<const T> find_as(KeyParts key, int64_t at) const {
    return std::static_pointer_cast<const T>(find(key, at));
  }

  // Collateral entries.
  size_t size() const { return store_.size(); }
  uint64_t hits() const { return store_.hits(); }
  uint64_t misses() const { return store_.misses(); }

  // Signatures memoised by verifiers sharing this cache (Intel: QE reports under PCK keys).
  SignatureMemo& signatures() { return signatures_; }
  const SignatureMemo& signatures() const { return signatures_; }

 private:
  WindowedStore store_;
  SignatureMemo signatures_;
};

}  // namespace rats
