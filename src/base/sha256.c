#include "sha256.h"

#include <stdlib.h>
#include <string.h>

/* First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline uint32_t ror(uint32_t x, unsigned n) {
  return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t h[8], const uint8_t p[64]) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/* The same compression with the x86 SHA extensions (SHA-NI), many blocks at a time: several
 * times faster than the portable code, and hashing the workload's binary is most of what a sim
 * container start adds. The state is kept as the two vectors the instructions want:
 * ABEF and CDGH. */
__attribute__((target("sha,sse4.1,ssse3"))) static void compress_ni(uint32_t h[8], const uint8_t* p,
                                                                    size_t blocks) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i dcba = _mm_loadu_si128((const __m128i*)&h[0]);
  __m128i hgfe = _mm_loadu_si128((const __m128i*)&h[4]);
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
  for (; blocks > 0; --blocks, p += 64) {
    const __m128i abef_in = abef, cdgh_in = cdgh;
    __m128i w[4]; /* the last four groups of message words */
    for (int i = 0; i < 16; ++i) {
      __m128i m;
      if (i < 4) {
        m = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 16 * i)), bswap);
      } else {
        __m128i t = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
        t = _mm_add_epi32(t, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
        m = _mm_sha256msg2_epu32(t, w[(i + 3) & 3]);
      }
      w[i & 3] = m;
      __m128i k = _mm_add_epi32(m, _mm_loadu_si128((const __m128i*)&K[4 * i]));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(k, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef_in);
    cdgh = _mm_add_epi32(cdgh, cdgh_in);
  }
  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i*)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128((__m128i*)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

static int have_sha_ni(void) {
  static int cached = -1;
  if (cached < 0) {
    unsigned a, b, c, d;
    int ok = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1) && (c & bit_SSSE3);
    ok = ok && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
    cached = ok;
  }
  return cached;
}
#endif

/* Compresses `blocks` consecutive 64-byte blocks. */
static void compress_blocks(uint32_t h[8], const uint8_t* p, size_t blocks) {
#if defined(__x86_64__)
  if (have_sha_ni() && !getenv("SIM_SHA256_PORTABLE")) {
    compress_ni(h, p, blocks);
    return;
  }
#endif
  for (; blocks > 0; --blocks, p += SHA256_BLOCK_SIZE) compress(h, p);
}

void sha256_init(sha256_ctx* c) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, iv, sizeof iv);
  c->total = 0;
  c->used = 0;
}

void sha256_update(sha256_ctx* c, const void* data, size_t len) {
  const uint8_t* p = data;
  c->total += len;
  if (c->used) {
    size_t take = SHA256_BLOCK_SIZE - c->used;
    if (take > len) take = len;
    memcpy(c->block + c->used, p, take);
    c->used += take;
    p += take;
    len -= take;
    if (c->used < SHA256_BLOCK_SIZE) return;
    compress_blocks(c->h, c->block, 1);
    c->used = 0;
  }
  size_t blocks = len / SHA256_BLOCK_SIZE;
  compress_blocks(c->h, p, blocks);
  p += blocks * SHA256_BLOCK_SIZE;
  len -= blocks * SHA256_BLOCK_SIZE;
  memcpy(c->block, p, len);
  c->used = len;
}

void sha256_final(sha256_ctx* c, uint8_t out[SHA256_DIGEST_SIZE]) {
  uint64_t bits = c->total * 8;
  c->block[c->used++] = 0x80;
  if (c->used > SHA256_BLOCK_SIZE - 8) {
    memset(c->block + c->used, 0, SHA256_BLOCK_SIZE - c->used);
    compress(c->h, c->block);
    c->used = 0;
  }
  memset(c->block + c->used, 0, SHA256_BLOCK_SIZE - 8 - c->used);
  for (int i = 0; i < 8; i++) c->block[SHA256_BLOCK_SIZE - 1 - i] = (uint8_t)(bits >> (8 * i));
  compress(c->h, c->block);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->h[i];
  }
  memset(c, 0, sizeof *c);
}

void sha256(const void* data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]) {
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, data, len);
  sha256_final(&c, out);
}

void hmac_sha256(const void* key, size_t key_len, const void* msg, size_t msg_len,
                 uint8_t out[SHA256_DIGEST_SIZE]) {
  uint8_t k[SHA256_BLOCK_SIZE] = {0};
  if (key_len > SHA256_BLOCK_SIZE)
    sha256(key, key_len, k);
  else
    memcpy(k, key, key_len);

  uint8_t pad[SHA256_BLOCK_SIZE];
  uint8_t inner[SHA256_DIGEST_SIZE];
  sha256_ctx c;
  for (int i = 0; i < SHA256_BLOCK_SIZE; i++) pad[i] = k[i] ^ 0x36;
  sha256_init(&c);
  sha256_update(&c, pad, sizeof pad);
  sha256_update(&c, msg, msg_len);
  sha256_final(&c, inner);
  for (int i = 0; i < SHA256_BLOCK_SIZE; i++) pad[i] = k[i] ^ 0x5c;
  sha256_init(&c);
  sha256_update(&c, pad, sizeof pad);
  sha256_update(&c, inner, sizeof inner);
  sha256_final(&c, out);
  memset(k, 0, sizeof k);
  memset(pad, 0, sizeof pad);
}

void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char out[2 * SHA256_DIGEST_SIZE + 1]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xf];
  }
  out[2 * SHA256_DIGEST_SIZE] = '\0';
}
