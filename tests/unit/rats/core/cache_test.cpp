// Tests of src/rats/core/cache: exact-bytes keys (a one-bit difference, another split of the same
// bytes or a fingerprint collision never hits), the validity window, the bound and its eviction
// order, the signature memo and concurrent use.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "rats/core/cache.h"

namespace rats {
namespace {

using Buf = std::vector<uint8_t>;

Buf pattern(size_t n, uint8_t seed) {
  Buf b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + 31 * i + (i >> 8));
  return b;
}

crypto::ValidityWindow window(int64_t from, int64_t until) {
  crypto::ValidityWindow w;
  w.narrow(from, until);
  return w;
}

std::shared_ptr<const void> value(int v) {
  return std::make_shared<const int>(v);
}

int value_of(const std::shared_ptr<const void>& p) {
  return p ? *std::static_pointer_cast<const int>(p) : -1;
}

TEST(RatsCollateralCache, HitsOnlyForTheSameBytesInTheSameParts) {
  CollateralCache cache;
  Buf a = pattern(700, 1), b = pattern(40, 2);
  const std::span<const uint8_t> key[] = {a, b};
  cache.insert(key, window(100, 200), value(7));
  EXPECT_EQ(value_of(cache.find(key, 150)), 7);

  Buf a2 = a;
  a2[333] ^= 0x08;
  const std::span<const uint8_t> one_bit[] = {a2, b};
  EXPECT_EQ(cache.find(one_bit, 150), nullptr);

  Buf joined = a;  // the same bytes split differently
  joined.insert(joined.end(), b.begin(), b.end());
  const std::span<const uint8_t> one_part[] = {joined};
  EXPECT_EQ(cache.find(one_part, 150), nullptr);
  const std::span<const uint8_t> shorter[] = {a};
  EXPECT_EQ(cache.find(shorter, 150), nullptr);
  const std::span<const uint8_t> longer[] = {a, b, {}};
  EXPECT_EQ(cache.find(longer, 150), nullptr);

  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 4u);
}

TEST(RatsCollateralCache, KeysThatShareAFingerprintAreStillToldApart) {
  // Large parts are fingerprinted by a sample of their words; byte 1001 of a 4096-byte part lies
  // between two sampled words, so these keys collide on purpose.
  Buf a = pattern(4096, 3);
  Buf b = a;
  b[1001] ^= 0x01;
  const std::span<const uint8_t> ka[] = {a};
  const std::span<const uint8_t> kb[] = {b};
  ASSERT_EQ(key_fingerprint(ka), key_fingerprint(kb));

  CollateralCache cache;
  cache.insert(ka, window(0, 10), value(1));
  EXPECT_EQ(cache.find(kb, 5), nullptr);
  cache.insert(kb, window(0, 10), value(2));
  EXPECT_EQ(value_of(cache.find(ka, 5)), 1);
  EXPECT_EQ(value_of(cache.find(kb, 5)), 2);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(RatsCollateralCache, HitsOnlyInsideTheWindow) {
  CollateralCache cache;
  Bytes<32> key{};
  key[0] = 9;
  cache.insert(key, window(100, 200), value(3));
  EXPECT_EQ(cache.find(key, 99), nullptr);
  EXPECT_EQ(value_of(cache.find(key, 100)), 3);
  EXPECT_EQ(value_of(cache.find(key, 199)), 3);
  EXPECT_EQ(cache.find(key, 200), nullptr);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(RatsCollateralCache, KeepsAtMostItsCapacityAndEvictsTheOldestInserted) {
  CollateralCache cache(3);
  std::vector<Buf> keys;
  for (int i = 0; i < 5; ++i) keys.push_back(pattern(64, static_cast<uint8_t>(i)));
  auto key = [&](int i) { return std::vector<std::span<const uint8_t>>{keys[i]}; };
  for (int i = 0; i < 3; ++i) cache.insert(key(i), window(0, 10), value(i));
  // Replacing key 0 keeps its place: it is still the oldest.
  cache.insert(key(0), window(0, 10), value(10));
  EXPECT_EQ(cache.size(), 3u);
  cache.insert(key(3), window(0, 10), value(3));
  cache.insert(key(4), window(0, 10), value(4));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find(key(0), 5), nullptr);
  EXPECT_EQ(cache.find(key(1), 5), nullptr);
  EXPECT_EQ(value_of(cache.find(key(2), 5)), 2);
  EXPECT_EQ(value_of(cache.find(key(3), 5)), 3);
  EXPECT_EQ(value_of(cache.find(key(4), 5)), 4);

  CollateralCache none(0, 0);
  none.insert(key(0), window(0, 10), value(0));
  none.signatures().record(keys[0], keys[1], Bytes<32>{}, window(0, 10));
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.signatures().size(), 0u);
  EXPECT_EQ(none.find(key(0), 5), nullptr);
}

TEST(RatsSignatureMemo, KnowsOnlyTheExactTripleInsideItsWindow) {
  SignatureMemo memo(8);
  Buf message = pattern(384, 5), signature = pattern(64, 6);
  Bytes<32> signer{};
  signer[31] = 1;
  EXPECT_FALSE(memo.verified(message, signature, signer, 150));
  memo.record(message, signature, signer, window(100, 200));
  EXPECT_TRUE(memo.verified(message, signature, signer, 150));

  Buf m2 = message;
  m2[200] ^= 0x40;
  EXPECT_FALSE(memo.verified(m2, signature, signer, 150));
  Buf s2 = signature;
  s2[63] ^= 0x01;
  EXPECT_FALSE(memo.verified(message, s2, signer, 150));
  Bytes<32> other = signer;
  other[0] ^= 0x80;
  EXPECT_FALSE(memo.verified(message, signature, other, 150));
  EXPECT_FALSE(memo.verified(message, signature, signer, 99));
  EXPECT_FALSE(memo.verified(message, signature, signer, 200));
  EXPECT_EQ(memo.hits(), 1u);
  EXPECT_EQ(memo.misses(), 6u);
}

TEST(RatsSignatureMemo, KeepsAtMostItsCapacity) {
  SignatureMemo memo(2);
  Buf signature = pattern(64, 7);
  Bytes<32> signer{};
  std::vector<Buf> messages;
  for (int i = 0; i < 4; ++i) messages.push_back(pattern(384, static_cast<uint8_t>(10 + i)));
  for (const Buf& m : messages) memo.record(m, signature, signer, window(0, 10));
  EXPECT_EQ(memo.size(), 2u);
  EXPECT_EQ(memo.capacity(), 2u);
  EXPECT_FALSE(memo.verified(messages[0], signature, signer, 5));
  EXPECT_FALSE(memo.verified(messages[1], signature, signer, 5));
  EXPECT_TRUE(memo.verified(messages[2], signature, signer, 5));
  EXPECT_TRUE(memo.verified(messages[3], signature, signer, 5));
}

TEST(RatsCollateralCache, ConcurrentInsertsAndLookupsStayConsistent) {
  CollateralCache cache(16, 16);
  std::vector<Buf> keys;
  for (int i = 0; i < 40; ++i) keys.push_back(pattern(600, static_cast<uint8_t>(i)));
  std::atomic<int> wrong{0};
  std::atomic<uint64_t> lookups{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 2000; ++n) {
        int i = (n * 7 + t * 13) % 40;
        const std::span<const uint8_t> key[] = {keys[i]};
        if (n % 3 == 0) {
          cache.insert(key, window(0, 100), value(i));
          cache.signatures().record(keys[i], keys[i], Bytes<32>{}, window(0, 100));
        } else {
          auto v = cache.find(key, 50);
          if (v && value_of(v) != i) ++wrong;  // a hit must be this key's value
          (void)cache.signatures().verified(keys[i], keys[i], Bytes<32>{}, 50);
          lookups += 1;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 16u);
  EXPECT_LE(cache.signatures().size(), 16u);
  EXPECT_EQ(cache.hits() + cache.misses(), lookups.load());
  EXPECT_EQ(cache.signatures().hits() + cache.signatures().misses(), lookups.load());
}

}  // namespace
}  // namespace rats
