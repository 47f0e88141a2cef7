// sim/sha256.c against the FIPS 180-2 examples and RFC 4231.
#include "sha256.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "inclavare/sim_tee.h"
#include "pal_test_util.h"

namespace {

using rt_test::Hex;
using rt_test::Sha256Hex;

TEST(Sha256, EmptyString) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, Abc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Nist448BitMessage) {
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, OneMillionA) {
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShotForEveryChunkSize) {
  std::string msg;
  for (int i = 0; i < 300; i++) msg.push_back(static_cast<char>(i * 7));
  const std::string want = Sha256Hex(msg);
  for (size_t chunk = 1; chunk <= 130; chunk++) {
    sha256_ctx c;
    sha256_init(&c);
    for (size_t off = 0; off < msg.size(); off += chunk)
      sha256_update(&c, msg.data() + off, std::min(chunk, msg.size() - off));
    uint8_t d[32];
    sha256_final(&c, d);
    ASSERT_EQ(Hex(d, 32), want) << "chunk " << chunk;
  }
}

std::string Hmac(const std::string& key, const std::string& msg) {
  uint8_t d[32];
  hmac_sha256(key.data(), key.size(), msg.data(), msg.size(), d);
  return Hex(d, 32);
}

TEST(HmacSha256, Rfc4231TestCase1) {
  EXPECT_EQ(Hmac(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, Rfc4231TestCase2) {
  EXPECT_EQ(Hmac("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, Rfc4231TestCase6KeyLongerThanBlock) {
  EXPECT_EQ(
      Hmac(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(SimTeeHeader, QuotingEnclaveMrenclaveIsTheHashOfItsLabel) {
  EXPECT_EQ(Hex(SIM_TEE_QE_MRENCLAVE, 32), Sha256Hex("inclavare-containers sim quoting enclave"));
}

}  // namespace

// With SHA-NI on this CPU the known-answer tests above run the accelerated code; this compares
// it with the portable code (SIM_SHA256_PORTABLE) on data of many lengths.
TEST(Sha256, AcceleratedAndPortableAgree) {
  std::vector<uint8_t> data(70000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  for (size_t len : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 127u, 128u, 1000u, 4096u, 65537u, 70000u}) {
    uint8_t fast[SHA256_DIGEST_SIZE], slow[SHA256_DIGEST_SIZE];
    sha256(data.data(), len, fast);
    setenv("SIM_SHA256_PORTABLE", "1", 1);
    sha256(data.data(), len, slow);
    unsetenv("SIM_SHA256_PORTABLE");
    EXPECT_EQ(0, memcmp(fast, slow, sizeof fast)) << "length " << len;
  }
}
