/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), self-contained C: liberpal-sim links nothing but libc,
 * and the shim hashes its socket name with it (no libcrypto there either).
 */
#ifndef BASE_SHA256_H
#define BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

typedef struct sha256_ctx {
  uint32_t h[8];
  uint64_t total; /* bytes hashed so far */
  uint8_t block[SHA256_BLOCK_SIZE];
  size_t used; /* bytes in block */
} sha256_ctx;

void sha256_init(sha256_ctx* c);
void sha256_update(sha256_ctx* c, const void* data, size_t len);
void sha256_final(sha256_ctx* c, uint8_t out[SHA256_DIGEST_SIZE]);
void sha256(const void* data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);

void hmac_sha256(const void* key, size_t key_len, const void* msg, size_t msg_len,
                 uint8_t out[SHA256_DIGEST_SIZE]);

/* 64 lowercase hex characters and a NUL. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char out[2 * SHA256_DIGEST_SIZE + 1]);

#ifdef __cplusplus
}
#endif

#endif /* BASE_SHA256_H */
