// Sim TEE quotes: SGX DCAP ECDSA quotes v3 in the byte layout of real ones
// (attestation-formats.md §1, §2, §4), and the ECDSA helpers they need.
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "base/encoding.h"
#include "base/sim_report.h"
#include "rats/crypto/openssl_util.h"
#include "rats/sim/sim_internal.h"

namespace rats::sim {

namespace {

// SGX ATTRIBUTES flags.
constexpr uint64_t kAttrInit = 0x01;
constexpr uint64_t kAttrDebug = 0x02;
constexpr uint64_t kAttrMode64 = 0x04;
constexpr uint64_t kAttrProvisionKey = 0x10;
// The ISV enclave's XFRM (x87, SSE) and the QE's (as in the vectors' QE reports).
constexpr uint64_t kEnclaveXfrm = 0x03;
constexpr uint64_t kQeXfrm = 0xe7;

void put_le(std::vector<uint8_t>& out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_le_at(uint8_t* p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
template <size_t N>
void put(std::vector<uint8_t>& out, const Bytes<N>& b) {
  out.insert(out.end(), b.begin(), b.end());
}

struct ReportFields {
  uint64_t attribute_flags = 0;
  uint64_t xfrm = 0;
  const Bytes<32>* mrenclave = nullptr;
  const Bytes<32>* mrsigner = nullptr;
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  const uint8_t* report_data = nullptr;  // 64 bytes
};

// A 384-byte SGX report body (§2); fields not named are zero.
Bytes<kSgxReportBodySize> report_body(const ReportFields& f) {
  Bytes<kSgxReportBodySize> b{};
  std::memcpy(b.data() + 0, kSimCpuSvn.data(), 16);  // CPUSVN
  // MISCSELECT (16) stays 0.
  put_le_at(b.data() + 48, f.attribute_flags, 8);
  put_le_at(b.data() + 56, f.xfrm, 8);
  std::memcpy(b.data() + 64, f.mrenclave->data(), 32);
  std::memcpy(b.data() + 128, f.mrsigner->data(), 32);
  put_le_at(b.data() + 256, f.isv_prod_id, 2);
  put_le_at(b.data() + 258, f.isv_svn, 2);
  std::memcpy(b.data() + 320, f.report_data, 64);
  return b;
}

}  // namespace

base::Result<crypto::PkeyPtr> generate_p256() {
  crypto::PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return crypto::internal("generating a P-256 key failed");
  return key;
}

base::Result<Bytes<64>> public_xy(EVP_PKEY* key) {
  uint8_t buf[65];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof buf,
                                      &len) != 1 ||
      len != 65 || buf[0] != 0x04) {
    return crypto::internal("cannot encode the P-256 public key as an uncompressed point");
  }
  Bytes<64> xy;
  std::memcpy(xy.data(), buf + 1, 64);
  return xy;
}

base::Result<Bytes<64>> sign_p256_sha256(EVP_PKEY* key, std::span<const uint8_t> message) {
  crypto::MdCtxPtr md(EVP_MD_CTX_new());
  if (!md) return crypto::internal("EVP_MD_CTX_new failed");
  if (EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1)
    return crypto::internal("EVP_DigestSignInit failed");
  size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, message.data(), message.size()) != 1)
    return crypto::internal("EVP_DigestSign (size) failed");
  std::vector<uint8_t> der(len);
  if (EVP_DigestSign(md.get(), der.data(), &len, message.data(), message.size()) != 1)
    return crypto::internal("EVP_DigestSign failed");
  const uint8_t* p = der.data();
  crypto::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return crypto::internal("cannot decode the ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes<64> rs{};
  if (BN_bn2binpad(r, rs.data(), 32) != 32 || BN_bn2binpad(s, rs.data() + 32, 32) != 32)
    return crypto::internal("ECDSA signature value does not fit 32 bytes");
  return rs;
}

base::Result<std::vector<uint8_t>> SimTee::make_quote(std::span<const uint8_t, 64> report_data,
                                                      const EnclaveIdentity& id) const {
  ReportFields isv{};
  isv.attribute_flags = kAttrInit | kAttrMode64 | (id.debug ? kAttrDebug : 0);
  isv.xfrm = kEnclaveXfrm;
  isv.mrenclave = &id.mrenclave;
  isv.mrsigner = &id.mrsigner;
  isv.isv_prod_id = id.isv_prod_id;
  isv.isv_svn = id.isv_svn;
  isv.report_data = report_data.data();
  return quote_body(*s_, report_body(isv));
}

base::Result<std::vector<uint8_t>> SimTee::quote_report(
    std::span<const uint8_t, 432> report) const {
  if (!sim_report_mac_ok(kSimQeMrenclave.data(), report.data()))
    return base::invalid(
        "sim QE: the REPORT's MAC does not verify with its report key: the REPORT was made for "
        "another target than the sim QE (MRENCLAVE " +
        base::hex_encode(kSimQeMrenclave.data(), kSimQeMrenclave.size()) + "), or altered");
  Bytes<kSgxReportBodySize> body{};
  std::memcpy(body.data(), report.data(), body.size());
  return quote_body(*s_, body);
}

base::Result<std::vector<uint8_t>> quote_body(const SimTee::State& st,
                                              const Bytes<kSgxReportBodySize>& body) {
  std::vector<uint8_t> q;
  q.reserve(1100 + st.cert_data.size());

  // Header (48 bytes, §1).
  put_le(q, 3, 2);                     // version
  put_le(q, kAttKeyTypeEcdsaP256, 2);  // attestation key type
  put_le(q, 0, 4);                     // reserved (v3)
  put_le(q, kSimQeSvn, 2);
  put_le(q, kSimPceSvn, 2);
  put(q, kIntelQeVendorId);
  put(q, st.qe_id);
  put_le(q, 0, 4);  // rest of user data

  // ISV enclave report body (384 bytes, §2).
  put(q, body);
  const size_t signed_len = q.size();  // 432

  // QE report: REPORTDATA = SHA-256(attestation key || QE auth data) || 32 zero bytes (§5.4).
  Bytes<32> auth_data;
  for (size_t i = 0; i < auth_data.size(); ++i) auth_data[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> binding(st.att_key_xy.begin(), st.att_key_xy.end());
  binding.insert(binding.end(), auth_data.begin(), auth_data.end());
  ASSIGN_OR_RETURN(Bytes<32> binding_hash, crypto::sha256(binding));
  Bytes<64> qe_report_data{};
  std::memcpy(qe_report_data.data(), binding_hash.data(), 32);
  ReportFields qe{};
  qe.attribute_flags = kAttrInit | kAttrMode64 | kAttrProvisionKey;
  qe.xfrm = kQeXfrm;
  qe.mrenclave = &kSimQeMrenclave;
  qe.mrsigner = &kSimQeMrsigner;
  qe.isv_prod_id = kSimQeIsvProdId;
  qe.isv_svn = kSimQeSvn;
  qe.report_data = qe_report_data.data();
  Bytes<kSgxReportBodySize> qe_report = report_body(qe);
  ASSIGN_OR_RETURN(Bytes<64> qe_sig, sign_p256_sha256(st.pck_key.get(), qe_report));
  ASSIGN_OR_RETURN(Bytes<64> quote_sig,
                   sign_p256_sha256(st.att_key.get(), std::span(q.data(), signed_len)));

  // Signature data (§4, v3 layout).
  std::vector<uint8_t> sig;
  put(sig, quote_sig);
  put(sig, st.att_key_xy);
  put(sig, qe_report);
  put(sig, qe_sig);
  put_le(sig, auth_data.size(), 2);
  put(sig, auth_data);
  put_le(sig, kCertDataPckChain, 2);
  put_le(sig, st.cert_data.size(), 4);
  sig.insert(sig.end(), st.cert_data.begin(), st.cert_data.end());

  put_le(q, sig.size(), 4);
  q.insert(q.end(), sig.begin(), sig.end());
  if (q.size() > kMaxEvidenceSize) return crypto::internal("sim quote exceeds kMaxEvidenceSize");
  return q;
}

}  // namespace rats::sim
