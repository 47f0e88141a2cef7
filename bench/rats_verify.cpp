// Verifications per second on one core with collateral cached, beside the floor measured in the
// same run: the signature verifications a piece of evidence needs at minimum, done with OpenSSL
// directly (two ECDSA-P256 verifies for an SGX/TDX quote — the quote under the attestation key and
// the QE report under the PCK key —, one ECDSA-P384 verify for an SNP report).
//
// Usage: rats_verify_bench VECTORS_DIR [SECONDS_PER_ROW=2]
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sched.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "base/file.h"
#include "rats/core/cache.h"
#include "rats/crypto/ecdsa.h"
#include "rats/formats/intel_quote.h"
#include "rats/formats/snp_report.h"
#include "rats/verifier.h"

namespace {

using Buf = std::vector<uint8_t>;
std::string g_dir;

Buf load(const std::string& rel) {
  auto r = base::read_file(g_dir + "/" + rel);
  if (!r.ok()) {
    std::fprintf(stderr, "rats_verify_bench: %s\n", r.error().what().c_str());
    std::exit(2);
  }
  return Buf(r->begin(), r->end());
}

// Runs `fn` repeatedly for about `seconds`; returns calls per second.
double rate(double seconds, const std::function<bool()>& fn) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 20; ++i) fn();  // warm-up
  long n = 0;
  auto start = clock::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 50; ++i) {
      if (!fn()) {
        std::fprintf(stderr, "rats_verify_bench: a verification failed\n");
        std::exit(1);
      }
    }
    n += 50;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < seconds);
  return n / elapsed;
}

Buf der_sig(const uint8_t* r, const uint8_t* s, int len, bool little_endian) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* br = little_endian ? BN_lebin2bn(r, len, nullptr) : BN_bin2bn(r, len, nullptr);
  BIGNUM* bs = little_endian ? BN_lebin2bn(s, len, nullptr) : BN_bin2bn(s, len, nullptr);
  ECDSA_SIG_set0(sig, br, bs);
  int n = i2d_ECDSA_SIG(sig, nullptr);
  Buf out(static_cast<size_t>(n));
  uint8_t* p = out.data();
  i2d_ECDSA_SIG(sig, &p);
  ECDSA_SIG_free(sig);
  return out;
}

bool raw_verify(EVP_PKEY* key, const EVP_MD* md, const Buf& sig, const uint8_t* msg, size_t len) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, sig.data(), sig.size(), msg, len) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// The floor for an Intel quote: its two P-256 verifies with keys and signatures prepared once.
double intel_floor(const Buf& data, double seconds) {
  auto q = rats::formats::parse_intel_quote(data);
  auto chain = rats::crypto::parse_pem_chain(q->sig.cert_data);
  EVP_PKEY* pck = X509_get0_pubkey((*chain)[0].get());
  auto att = rats::crypto::p256_public_key(q->sig.attestation_key);
  Buf quote_sig =
      der_sig(q->sig.quote_signature.data(), q->sig.quote_signature.data() + 32, 32, false);
  Buf qe_sig =
      der_sig(q->sig.qe_report_signature.data(), q->sig.qe_report_signature.data() + 32, 32, false);
  return rate(seconds, [&] {
    return raw_verify(att->get(), EVP_sha256(), quote_sig, data.data(), q->signed_len) &&
           raw_verify(pck, EVP_sha256(), qe_sig, q->sig.qe_report_raw.data(), 384);
  });
}

double snp_floor(const Buf& data, const Buf& vcek_der, double seconds) {
  auto r = rats::formats::parse_snp_report(data);
  auto vcek = rats::crypto::parse_certificate(vcek_der);
  EVP_PKEY* key = X509_get0_pubkey(vcek->get());
  Buf sig = der_sig(r->signature_r.data(), r->signature_s.data(), 48, true);
  return rate(seconds,
              [&] { return raw_verify(key, EVP_sha384(), sig, data.data(), rats::kSnpSignedLen); });
}

struct Row {
  const char* name;
  const char* verifier;
  const char* evidence;
  int64_t at;
  std::vector<std::pair<const char*, const char*>> collateral;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: rats_verify_bench VECTORS_DIR [SECONDS_PER_ROW=2]\n");
    return 2;
  }
  g_dir = argv[1];
  double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) std::perror("sched_setaffinity (continuing)");

  const std::vector<Row> rows = {
      {"sgx (signal-cdsi, quote v3)",
       "sgx_ecdsa",
       "sgx/signal-cdsi/quote.bin",
       1785432688,
       {{"root_ca", "sgx/signal-cdsi/intel_sgx_root_ca.pem"},
        {"pck_crl", "sgx/signal-cdsi/pck_crl.der"},
        {"pck_crl_issuer_chain", "sgx/signal-cdsi/pck_crl_issuer_chain.pem"},
        {"root_ca_crl", "sgx/signal-cdsi/root_ca_crl.der"},
        {"tcb_info", "sgx/signal-cdsi/tcb_info.json"},
        {"tcb_info_issuer_chain", "sgx/signal-cdsi/tcb_info_issuer_chain.pem"},
        {"qe_identity", "sgx/signal-cdsi/qe_identity.json"},
        {"qe_identity_issuer_chain", "sgx/signal-cdsi/qe_identity_issuer_chain.pem"}}},
      {"tdx (phala, quote v4)",
       "tdx_ecdsa",
       "tdx/phala-dcap-qvl/quote.bin",
       1751328000,
       {{"root_ca", "tdx/go-tdx-guest/verify_trusted_root.pem"},
        {"pck_crl", "tdx/phala-dcap-qvl/pck_crl.der"},
        {"pck_crl_issuer_chain", "tdx/phala-dcap-qvl/pck_crl_issuer_chain.pem"},
        {"root_ca_crl", "tdx/phala-dcap-qvl/root_ca_crl.der"},
        {"tcb_info", "tdx/phala-dcap-qvl/tcb_info.json"},
        {"tcb_info_issuer_chain", "tdx/phala-dcap-qvl/tcb_info_issuer_chain.pem"},
        {"qe_identity", "tdx/phala-dcap-qvl/qe_identity.json"},
        {"qe_identity_issuer_chain", "tdx/phala-dcap-qvl/qe_identity_issuer_chain.pem"}}},
      {"snp (trustee, VCEK)",
       "snp",
       "snp/trustee/test-report.bin",
       1700000000,
       {{"ark", "snp/go-sev-guest/ark_milan.pem"},
        {"ask", "snp/go-sev-guest/ask_milan.pem"},
        {"vcek", "snp/trustee/test-vcek.der"}}},
  };

  std::printf("%-30s %14s %14s %8s %6s\n", "evidence", "verify/s", "floor/s", "ratio", "goal");
  int failures = 0;
  for (const auto& row : rows) {
    rats::VerifierOptions options;
    options.cache = std::make_shared<rats::CollateralCache>();
    auto verifier = rats::make_verifier(row.verifier, options);
    if (!verifier.ok()) {
      std::printf("%-30s %s\n", row.name, verifier.error().what().c_str());
      ++failures;
      continue;
    }
    rats::Collateral col;
    for (const auto& [role, path] : row.collateral) col.by_role[role] = load(path);
    Buf evidence = load(row.evidence);
    rats::VerifyRequest req;
    req.evidence = evidence;
    req.collateral = &col;
    req.at = row.at;
    double verify_rate = rate(seconds, [&] {
      auto v = (*verifier)->verify(req);
      return v.ok() && v->trusted;
    });
    bool snp = std::string(row.verifier) == "snp";
    double floor_rate =
        snp ? snp_floor(evidence, col.by_role["vcek"], seconds) : intel_floor(evidence, seconds);
    double goal = snp ? 1000 : 5000;
    bool met = verify_rate >= goal;
    failures += met ? 0 : 1;
    std::printf("%-30s %14.0f %14.0f %8.2f %6s\n", row.name, verify_rate, floor_rate,
                verify_rate / floor_rate, met ? "met" : "MISSED");
  }
  std::printf("(one core; collateral cached; goal: >= 5000/s SGX/TDX, >= 1000/s SNP)\n");
  return failures == 0 ? 0 : 1;
}
