#include "rats/crypto/x509.h"

#include <climits>
#include <cstring>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "rats/crypto/openssl_util.h"

namespace rats::crypto {

void CrlDeleter::operator()(X509_CRL* p) const {
  X509_CRL_free(p);
}

namespace {

void free_x509_stack(STACK_OF(X509) * s) {
  sk_X509_free(s);  // the certificates are borrowed
}
using StackPtr = std::unique_ptr<STACK_OF(X509), OsslDeleter<STACK_OF(X509), free_x509_stack>>;

int64_t asn1_time_to_unix(const ASN1_TIME* t, int64_t if_absent) {
  if (t == nullptr) return if_absent;
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) {
    drain_openssl_errors();
    return if_absent;
  }
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

base::Result<CrlPtr> parse_crl(std::span<const uint8_t> pem_or_der) {
  constexpr std::string_view kPemStart = "-----BEGIN";
  std::string_view text(reinterpret_cast<const char*>(pem_or_der.data()), pem_or_der.size());
  // PEM may follow leading whitespace.
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text.substr(first).starts_with(kPemStart)) {
    ASSIGN_OR_RETURN(BioPtr bio, memory_bio(pem_or_der));
    CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (!crl) return openssl_error(base::Category::invalid_argument, "malformed PEM CRL");
    return crl;
  }
  if (pem_or_der.size() > LONG_MAX) return base::invalid("CRL is too large");
  const uint8_t* p = pem_or_der.data();
  CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(pem_or_der.size())));
  if (!crl) {
    return openssl_error(
        base::Category::invalid_argument,
        "malformed CRL (" + std::to_string(pem_or_der.size()) + " bytes, neither PEM nor DER)");
  }
  size_t used = static_cast<size_t>(p - pem_or_der.data());
  if (used != pem_or_der.size()) {
    return base::invalid("DER CRL of " + std::to_string(used) + " bytes is followed by " +
                         std::to_string(pem_or_der.size() - used) + " more bytes");
  }
  return crl;
}

base::Result<std::vector<uint8_t>> spki_der(const X509* cert) {
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(cert);
  int len = pub ? i2d_X509_PUBKEY(pub, nullptr) : -1;
  if (len <= 0) return openssl_error(base::Category::invalid_argument, "certificate has no key");
  std::vector<uint8_t> der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  if (i2d_X509_PUBKEY(pub, &p) != len) return internal("DER encoding of the public key failed");
  return der;
}

base::Result<Bytes<32>> spki_sha256(const X509* cert) {
  ASSIGN_OR_RETURN(auto der, spki_der(cert));
  return sha256(der);
}

int64_t not_before(const X509* cert) {
  return asn1_time_to_unix(X509_get0_notBefore(cert), std::numeric_limits<int64_t>::max());
}
int64_t not_after(const X509* cert) {
  return asn1_time_to_unix(X509_get0_notAfter(cert), std::numeric_limits<int64_t>::min());
}
int64_t this_update(const X509_CRL* crl) {
  return asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl), std::numeric_limits<int64_t>::max());
}
int64_t next_update(const X509_CRL* crl) {
  return asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl), std::numeric_limits<int64_t>::max());
}

base::Result<std::optional<std::vector<uint8_t>>> extension_value(const X509* cert,
                                                                  std::string_view oid) {
  std::string text(oid);
  ObjPtr obj(OBJ_txt2obj(text.c_str(), 1));
  if (!obj) return openssl_error(base::Category::invalid_argument, "malformed OID `" + text + "`");
  int idx = X509_get_ext_by_OBJ(cert, obj.get(), -1);
  if (idx < 0) return std::optional<std::vector<uint8_t>>();
  if (X509_get_ext_by_OBJ(cert, obj.get(), idx) >= 0) {
    return base::invalid("certificate `" + subject_name(cert) + "` has extension " + text +
                         " more than once");
  }
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
  const uint8_t* bytes = ASN1_STRING_get0_data(data);
  return std::optional<std::vector<uint8_t>>(
      std::vector<uint8_t>(bytes, bytes + ASN1_STRING_length(data)));
}

void ValidityWindow::narrow(int64_t item_from, int64_t item_until) {
  if (item_from > from) from = item_from;
  if (item_until < until) until = item_until;
}

base::Status verify_chain(const ChainInput& in) {
  if (in.leaf == nullptr || in.anchor == nullptr) return base::invalid("no certificate to verify");
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  StackPtr untrusted(sk_X509_new_null());
  if (!store || !ctx || !untrusted) return internal("OpenSSL allocation failed");
  // The store and stack only take references; nothing here modifies the certificates.
  if (X509_STORE_add_cert(store.get(), const_cast<X509*>(in.anchor)) != 1)
    return internal("X509_STORE_add_cert failed");
  for (const X509_CRL* crl : in.crls) {
    if (X509_STORE_add_crl(store.get(), const_cast<X509_CRL*>(crl)) != 1)
      return internal("X509_STORE_add_crl failed");
  }
  for (const X509* cert : in.intermediates) {
    if (sk_X509_push(untrusted.get(), const_cast<X509*>(cert)) <= 0)
      return internal("sk_X509_push failed");
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), const_cast<X509*>(in.leaf), untrusted.get()) != 1)
    return internal("X509_STORE_CTX_init failed");
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(in.at));
  unsigned long flags = 0;
  if (in.crl_check == CrlCheck::leaf) flags |= X509_V_FLAG_CRL_CHECK;
  if (in.crl_check == CrlCheck::all) flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
  X509_VERIFY_PARAM_set_flags(param, flags);
  if (X509_verify_cert(ctx.get()) == 1) {
    drain_openssl_errors();
    return base::ok();
  }
  int err = X509_STORE_CTX_get_error(ctx.get());
  int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  X509* at = X509_STORE_CTX_get_current_cert(ctx.get());
  std::string who = at ? "`" + subject_name(at) + "`" : "chain";
  drain_openssl_errors();
  return base::invalid("certificate " + who + " (depth " + std::to_string(depth) +
                       "): " + X509_verify_cert_error_string(err));
}

}  // namespace rats::crypto
