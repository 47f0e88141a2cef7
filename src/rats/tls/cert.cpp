// The ephemeral key and self-signed certificate of a Rats-TLS context.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "rats/tls/internal.h"

namespace rats::tls {

namespace {

using ObjPtr = crypto::ObjPtr;
using ExtPtr =
    std::unique_ptr<X509_EXTENSION, crypto::OsslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using OctetPtr = std::unique_ptr<ASN1_OCTET_STRING,
                                 crypto::OsslDeleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using NamePtr = std::unique_ptr<X509_NAME, crypto::OsslDeleter<X509_NAME, X509_NAME_free>>;
using BnPtr = crypto::BnPtr;
using P8Ptr = std::unique_ptr<PKCS8_PRIV_KEY_INFO,
                              crypto::OsslDeleter<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>>;

// Validity of the ephemeral certificate: from a day ago (clock skew) for a year. Rats-TLS peers
// do not judge it (the evidence is what is verified), other RA-TLS verifiers may.
constexpr long kBackdate = 24 * 3600;
constexpr long kLifetime = 365L * 24 * 3600;

// An ASN1_OBJECT from the OID's DER content bytes, which may be any bytes OpenSSL accepts as
// an OID (Gramine's malformed one included).
base::Result<ObjPtr> object_from_content(std::span<const uint8_t> content) {
  if (content.empty() || content.size() > 127) return base::invalid("OID content of bad length");
  std::vector<uint8_t> der = {0x06, static_cast<uint8_t>(content.size())};
  der.insert(der.end(), content.begin(), content.end());
  const unsigned char* p = der.data();
  ObjPtr obj(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(der.size())));
  if (!obj) return crypto::openssl_error(base::Category::invalid_argument, "malformed OID bytes");
  return obj;
}

base::Status add_name(X509_NAME* name) {
  static const std::pair<const char*, const char*> kParts[] = {{"CN", "RATS-TLS"},
                                                               {"O", "Inclavare Containers"}};
  for (const auto& [field, value] : kParts) {
    if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(value), -1, -1, 0) != 1)
      return crypto::internal("X509_NAME_add_entry_by_txt failed");
  }
  return base::ok();
}

}  // namespace

base::Result<PkeyPtr> generate_p256_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return crypto::internal("could not generate a P-256 key");
  return key;
}

base::Result<std::vector<uint8_t>> spki_of(EVP_PKEY* key) {
  unsigned char* buf = nullptr;
  int n = i2d_PUBKEY(key, &buf);
  if (n <= 0) return crypto::internal("i2d_PUBKEY failed");
  std::vector<uint8_t> out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

base::Result<std::vector<uint8_t>> der_of(X509* cert) {
  unsigned char* buf = nullptr;
  int n = i2d_X509(cert, &buf);
  if (n <= 0) return crypto::internal("i2d_X509 failed");
  std::vector<uint8_t> out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

base::Result<X509Ptr> self_signed_cert(EVP_PKEY* key, const std::vector<RawExtension>& extensions) {
  X509Ptr cert(X509_new());
  BnPtr serial(BN_new());
  if (!cert || !serial) return crypto::internal("OpenSSL allocation failed");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdate) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kLifetime) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1)
    return crypto::internal("could not fill in the certificate");
  NamePtr name(X509_NAME_new());
  if (!name) return crypto::internal("OpenSSL allocation failed");
  TRY(add_name(name.get()));
  if (X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set_issuer_name(cert.get(), name.get()) != 1)
    return crypto::internal("could not set the certificate's name");
  for (const RawExtension& e : extensions) {
    ASSIGN_OR_RETURN(ObjPtr obj, object_from_content(e.oid_content));
    OctetPtr value(ASN1_OCTET_STRING_new());
    if (!value ||
        ASN1_OCTET_STRING_set(value.get(), e.value.data(), static_cast<int>(e.value.size())) != 1)
      return crypto::internal("OpenSSL allocation failed");
    ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), 0, value.get()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1)
      return crypto::internal("could not add a certificate extension");
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0)
    return crypto::internal("could not sign the certificate");
  return cert;
}

base::Result<CertKey> make_self_signed(const std::vector<RawExtension>& extensions,
                                       const std::vector<uint8_t>& key_der) {
  PkeyPtr key;
  if (key_der.empty()) {
    ASSIGN_OR_RETURN(key, generate_p256_key());
  } else {
    const unsigned char* p = key_der.data();
    key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(key_der.size())));
    if (!key)
      return crypto::openssl_error(base::Category::invalid_argument, "malformed private key");
  }
  ASSIGN_OR_RETURN(X509Ptr cert, self_signed_cert(key.get(), extensions));
  CertKey out;
  ASSIGN_OR_RETURN(out.cert_der, der_of(cert.get()));
  ASSIGN_OR_RETURN(out.spki_der, spki_of(key.get()));
  P8Ptr p8(EVP_PKEY2PKCS8(key.get()));
  unsigned char* buf = nullptr;
  int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &buf) : 0;
  if (n <= 0) return crypto::internal("could not encode the private key");
  out.key_der.assign(buf, buf + n);
  OPENSSL_clear_free(buf, n);
  return out;
}

}  // namespace rats::tls
