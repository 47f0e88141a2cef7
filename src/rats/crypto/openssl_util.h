// Internal helpers shared by the OpenSSL-based files of src/rats: owning pointers for OpenSSL
// objects and errors that carry (and clear) OpenSSL's error queue. Not a public header.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/error.h"

namespace rats::crypto {

template <class T, void (*Free)(T*)>
struct OsslDeleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO, BIO_free_all>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG, ECDSA_SIG_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BIGNUM, BN_free>>;
using StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE, X509_STORE_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, OsslDeleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

// Empties the thread's OpenSSL error queue and returns its entries joined by "; ".
std::string drain_openssl_errors();

// An error of `cat` whose message is `what`, followed by OpenSSL's reasons when it gave any.
base::Error openssl_error(base::Category cat, std::string what);

// An internal error (OpenSSL itself failed, e.g. could not allocate).
base::Error internal(std::string what);

// A read-only memory BIO over `data` (which must outlive it).
base::Result<BioPtr> memory_bio(std::span<const uint8_t> data);

}  // namespace rats::crypto
