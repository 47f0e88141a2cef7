// Internals of Rats-TLS shared by its files. Not a public header.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/error.h"
#include "rats/crypto/openssl_util.h"
#include "rats/tls.h"

namespace rats::tls {

using PkeyPtr = std::unique_ptr<EVP_PKEY, crypto::OsslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, crypto::OsslDeleter<X509, X509_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, crypto::OsslDeleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, crypto::OsslDeleter<SSL, SSL_free>>;

// A fresh ECDSA P-256 key.
base::Result<PkeyPtr> generate_p256_key();
// The DER SubjectPublicKeyInfo of `key`.
base::Result<std::vector<uint8_t>> spki_of(EVP_PKEY* key);
// A self-signed X.509 v3 certificate for `key` with `extensions` (non-critical).
base::Result<X509Ptr> self_signed_cert(EVP_PKEY* key, const std::vector<RawExtension>& extensions);
base::Result<std::vector<uint8_t>> der_of(X509* cert);
// verify_peer_certificate on a parsed certificate.
base::Result<Verdict> verify_peer_cert(X509* cert, const PeerCheck& check, EvidenceForm* form);

}  // namespace rats::tls
