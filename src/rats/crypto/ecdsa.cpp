#include "rats/crypto/ecdsa.h"

#include "rats/crypto/openssl_util.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

namespace rats::crypto {

void PkeyDeleter::operator()(EVP_PKEY* p) const {
  EVP_PKEY_free(p);
}
void X509Deleter::operator()(X509* p) const {
  X509_free(p);
}

namespace {

std::atomic<uint64_t> g_verifications{0};

// Fails unless `key` is an EC key on the curve OpenSSL names `group` (`label` for messages).
base::Status expect_ec_group(const EVP_PKEY* key, const char* group, std::string_view label) {
  if (key == nullptr) return base::invalid("no public key");
  if (!EVP_PKEY_is_a(key, "EC")) {
    const char* type = EVP_PKEY_get0_type_name(key);
    return base::invalid("public key is " + std::string(type ? type : "of an unknown type") +
                         ", not an EC " + std::string(label) + " key");
  }
  char name[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof name, &len) != 1) {
    return openssl_error(base::Category::invalid_argument, "EC public key has no named curve");
  }
  if (std::string_view(name, len) != group) {
    return base::invalid("EC public key is on curve `" + std::string(name, len) + "`, not " +
                         std::string(label));
  }
  return base::ok();
}

// One DER INTEGER of the unsigned big-endian `value` at `out`: leading zero bytes dropped, one
// zero byte put back before a top bit that is set (or for the value 0). Returns the bytes written.
size_t der_unsigned_integer(std::span<const uint8_t> value, uint8_t* out) {
  size_t skip = 0;
  while (skip < value.size() && value[skip] == 0) ++skip;
  value = value.subspan(skip);
  const bool pad = value.empty() || (value[0] & 0x80) != 0;
  const size_t len = value.size() + (pad ? 1 : 0);
  out[0] = 0x02;  // INTEGER
  out[1] = static_cast<uint8_t>(len);
  out[2] = 0;
  if (!value.empty()) std::memcpy(out + 2 + (pad ? 1 : 0), value.data(), value.size());
  return 2 + len;
}

// EVP_DigestVerify of a DER signature; `label` names the algorithm in messages.
base::Status digest_verify(EVP_PKEY* key, const EVP_MD* md, std::span<const uint8_t> message,
                           const EcdsaDer& der, std::string_view label) {
  if (der.size == 0) return base::invalid(std::string(label) + " signature values are too wide");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return internal("EVP_MD_CTX_new failed");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) {
    return internal(std::string(label) + ": EVP_DigestVerifyInit failed");
  }
  g_verifications.fetch_add(1, std::memory_order_relaxed);
  int rc = EVP_DigestVerify(ctx.get(), der.bytes.data(), der.size, message.data(), message.size());
  if (rc == 1) return base::ok();
  // 0 is a well-formed signature that does not match; < 0 includes r or s out of range.
  return openssl_error(base::Category::invalid_argument,
                       std::string(label) + " signature does not verify over " +
                           std::to_string(message.size()) + " bytes");
}

bool all_zero(std::span<const uint8_t> b) {
  for (uint8_t x : b) {
    if (x != 0) return false;
  }
  return true;
}

// verify_p384_sha384_le without the certificate's name in the message.
base::Status verify_p384_with_cert(const X509* cert, std::span<const uint8_t> message,
                                   std::span<const uint8_t, 72> r_le,
                                   std::span<const uint8_t, 72> s_le) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) {
    return openssl_error(base::Category::invalid_argument, "no usable public key");
  }
  TRY(expect_ec_group(key, "secp384r1", "P-384"));
  // The fields are 72 bytes wide but P-384 values are 48 bytes: the rest must be zero.
  if (!all_zero(r_le.subspan(48))) return base::invalid("signature R is wider than 384 bits");
  if (!all_zero(s_le.subspan(48))) return base::invalid("signature S is wider than 384 bits");
  uint8_t r[48], s[48];
  std::reverse_copy(r_le.begin(), r_le.begin() + 48, r);
  std::reverse_copy(s_le.begin(), s_le.begin() + 48, s);
  return digest_verify(key, EVP_sha384(), message, ecdsa_der(r, s), "ECDSA-P384/SHA-384");
}

}  // namespace

EcdsaDer ecdsa_der(std::span<const uint8_t> r, std::span<const uint8_t> s) {
  EcdsaDer der;
  if (r.size() > kEcdsaDerMaxValue || s.size() > kEcdsaDerMaxValue) return der;  // size 0
  // Both INTEGERs fit a short-form length: 2 * (2 + 49) < 128.
  size_t len = der_unsigned_integer(r, der.bytes.data() + 2);
  len += der_unsigned_integer(s, der.bytes.data() + 2 + len);
  der.bytes[0] = 0x30;  // SEQUENCE
  der.bytes[1] = static_cast<uint8_t>(len);
  der.size = 2 + len;
  return der;
}

uint64_t ecdsa_verifications() {
  return g_verifications.load(std::memory_order_relaxed);
}

base::Result<Bytes<32>> sha256(std::span<const uint8_t> data) {
  Bytes<32> out{};
  if (SHA256(data.data(), data.size(), out.data()) == nullptr) return internal("SHA-256 failed");
  return out;
}

base::Result<Bytes<48>> sha384(std::span<const uint8_t> data) {
  Bytes<48> out{};
  if (SHA384(data.data(), data.size(), out.data()) == nullptr) return internal("SHA-384 failed");
  return out;
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1;
}
Sha256Stream::~Sha256Stream() {
  EVP_MD_CTX_free(ctx_);
}
void Sha256Stream::update(std::span<const uint8_t> data) {
  if (ok_) ok_ = EVP_DigestUpdate(ctx_, data.data(), data.size()) == 1;
}
void Sha256Stream::update_framed(std::span<const uint8_t> data) {
  uint8_t len[8];
  uint64_t n = data.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  update(len);
  update(data);
}
base::Result<Bytes<32>> Sha256Stream::final() {
  Bytes<32> out{};
  unsigned int n = 0;
  if (!ok_ || EVP_DigestFinal_ex(ctx_, out.data(), &n) != 1 || n != 32)
    return internal("SHA-256 failed");
  ok_ = false;
  return out;
}

base::Result<PkeyPtr> p256_public_key(std::span<const uint8_t, 64> xy) {
  uint8_t point[65];
  point[0] = 0x04;  // uncompressed
  std::memcpy(point + 1, xy.data(), xy.size());
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
      OSSL_PARAM_construct_end(),
  };
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx) return internal("EVP_PKEY_CTX_new_from_name(EC) failed");
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1) return internal("EVP_PKEY_fromdata_init failed");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    // OpenSSL decodes the point here and refuses one that is not on the curve.
    return openssl_error(base::Category::invalid_argument,
                         "P-256 public key X||Y is not a point on the curve");
  }
  return PkeyPtr(raw);
}

base::Status verify_p256_sha256(EVP_PKEY* key, std::span<const uint8_t> message,
                                std::span<const uint8_t, 64> signature_rs) {
  TRY(expect_ec_group(key, "prime256v1", "P-256"));
  return digest_verify(key, EVP_sha256(), message,
                       ecdsa_der(signature_rs.first(32), signature_rs.subspan(32)),
                       "ECDSA-P256/SHA-256");
}

base::Status verify_p256_sha256(std::span<const uint8_t, 64> key_xy,
                                std::span<const uint8_t> message,
                                std::span<const uint8_t, 64> signature_rs) {
  ASSIGN_OR_RETURN(PkeyPtr key, p256_public_key(key_xy));
  return verify_p256_sha256(key.get(), message, signature_rs);
}

base::Status verify_p384_sha384_le(const X509* cert, std::span<const uint8_t> message,
                                   std::span<const uint8_t, 72> r_le,
                                   std::span<const uint8_t, 72> s_le) {
  if (cert == nullptr) return base::invalid("no certificate");
  TRY_WRAP(verify_p384_with_cert(cert, message, r_le, s_le),
           "certificate `" + subject_name(cert) + "`");
  return base::ok();
}

base::Result<X509Ptr> parse_certificate(std::span<const uint8_t> pem_or_der) {
  constexpr std::string_view kPemStart = "-----BEGIN";
  std::string_view text(reinterpret_cast<const char*>(pem_or_der.data()), pem_or_der.size());
  if (text.starts_with(kPemStart)) {
    ASSIGN_OR_RETURN(BioPtr bio, memory_bio(pem_or_der));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) return openssl_error(base::Category::invalid_argument, "malformed PEM certificate");
    return cert;
  }
  if (pem_or_der.size() > LONG_MAX) return base::invalid("certificate is too large");
  const uint8_t* p = pem_or_der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(pem_or_der.size())));
  if (!cert) {
    return openssl_error(base::Category::invalid_argument, "malformed DER certificate (" +
                                                               std::to_string(pem_or_der.size()) +
                                                               " bytes, neither PEM nor DER)");
  }
  size_t used = static_cast<size_t>(p - pem_or_der.data());
  if (used != pem_or_der.size()) {
    return base::invalid("DER certificate of " + std::to_string(used) + " bytes is followed by " +
                         std::to_string(pem_or_der.size() - used) + " more bytes");
  }
  return cert;
}

std::string subject_name(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    drain_openssl_errors();
    return "?";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

}  // namespace rats::crypto
