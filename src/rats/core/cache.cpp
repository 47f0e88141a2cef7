#include "rats/core/cache.h"

#include <cstring>

namespace rats {

namespace {

// One step of the fingerprint: xor in a word, multiply, fold the high half down.
uint64_t mix(uint64_t h, uint64_t word) {
  h = (h ^ word) * 0xff51afd7ed558ccdULL;
  return h ^ (h >> 32);
}

uint64_t word_at(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

constexpr size_t kWholePart = 512;  // parts up to this size are fingerprinted whole
constexpr size_t kSamples = 32;     // words sampled from a larger part

}  // namespace

uint64_t key_fingerprint(KeyParts key) {
  uint64_t h = mix(0x6a09e667f3bcc909ULL, key.size());
  for (std::span<const uint8_t> part : key) {
    const size_t n = part.size();
    h = mix(h, n);
    if (n <= kWholePart) {
      size_t i = 0;
      for (; i + 8 <= n; i += 8) h = mix(h, word_at(part.data() + i));
      if (i < n) {
        uint64_t tail = 0;
        std::memcpy(&tail, part.data() + i, n - i);
        h = mix(h, tail);
      }
    } else {
      // Evenly spaced words, the first at 0 and the last ending at n.
      for (size_t s = 0; s < kSamples; ++s)
        h = mix(h, word_at(part.data() + s * (n - 8) / (kSamples - 1)));
    }
  }
  return h;
}

bool WindowedStore::Entry::equals(KeyParts key) const {
  if (key.size() != part_sizes.size()) return false;
  const uint8_t* p = bytes.data();
  for (size_t i = 0; i < key.size(); ++i) {
    const size_t n = key[i].size();
    if (n != part_sizes[i]) return false;
    if (n != 0 && std::memcmp(p, key[i].data(), n) != 0) return false;
    p += n;
  }
  return true;
}

WindowedStore::List::iterator WindowedStore::locate(uint64_t fingerprint, KeyParts key) const {
  auto [first, last] = index_.equal_range(fingerprint);
  for (auto it = first; it != last; ++it) {
    if (it->second->equals(key)) return it->second;
  }
  return entries_.end();
}

std::optional<std::shared_ptr<const void>> WindowedStore::find(KeyParts key, int64_t at) const {
  const uint64_t fp = key_fingerprint(key);
  std::lock_guard lock(mu_);
  auto it = locate(fp, key);
  if (it == entries_.end() || !it->window.contains(at)) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  return it->value;
}

void WindowedStore::insert(KeyParts key, const crypto::ValidityWindow& window,
                           std::shared_ptr<const void> value) {
  if (capacity_ == 0) return;
  Entry entry;
  entry.fingerprint = key_fingerprint(key);
  size_t total = 0;
  for (auto part : key) total += part.size();
  entry.bytes.reserve(total);
  entry.part_sizes.reserve(key.size());
  for (auto part : key) {
    entry.bytes.insert(entry.bytes.end(), part.begin(), part.end());
    entry.part_sizes.push_back(part.size());
  }
  entry.window = window;
  entry.value = std::move(value);

  std::lock_guard lock(mu_);
  if (auto it = locate(entry.fingerprint, key); it != entries_.end()) {
    it->window = entry.window;  // replaced in place; keeps its position
    it->value = std::move(entry.value);
    return;
  }
  const uint64_t fp = entry.fingerprint;
  entries_.push_back(std::move(entry));
  index_.emplace(fp, std::prev(entries_.end()));
  while (entries_.size() > capacity_) {
    auto oldest = entries_.begin();
    auto [first, last] = index_.equal_range(oldest->fingerprint);
    for (auto it = first; it != last; ++it) {
      if (it->second == oldest) {
        index_.erase(it);
        break;
      }
    }
    entries_.pop_front();
  }
}

size_t WindowedStore::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}
uint64_t WindowedStore::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}
uint64_t WindowedStore::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

bool SignatureMemo::verified(std::span<const uint8_t> message, std::span<const uint8_t> signature,
                             const Bytes<32>& signer, int64_t at) const {
  const std::span<const uint8_t> parts[] = {message, signature, signer};
  return store_.find(parts, at).has_value();
}

void SignatureMemo::record(std::span<const uint8_t> message, std::span<const uint8_t> signature,
                           const Bytes<32>& signer, const crypto::ValidityWindow& window) {
  const std::span<const uint8_t> parts[] = {message, signature, signer};
  store_.insert(parts, window, nullptr);
}

std::shared_ptr<const void> CollateralCache::find(KeyParts key, int64_t at) const {
  auto found = store_.find(key, at);
  return found ? *found : nullptr;
}

void CollateralCache::insert(KeyParts key, const crypto::ValidityWindow& window,
                             std::shared_ptr<const void> value) {
  store_.insert(key, window, std::move(value));
}

std::shared_ptr<const void> CollateralCache::find(const Bytes<32>& key, int64_t at) const {
  const std::span<const uint8_t> parts[] = {key};
  return find(parts, at);
}

void CollateralCache::insert(const Bytes<32>& key, const crypto::ValidityWindow& window,
                             std::shared_ptr<const void> value) {
  const std::span<const uint8_t> parts[] = {key};
  insert(parts, window, std::move(value));
}

}  // namespace rats
