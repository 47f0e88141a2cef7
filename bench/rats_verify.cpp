// Verifications per second on one core with collateral cached, beside the floors measured in the
// same run: the signature verifications a piece of evidence needs at minimum, done with OpenSSL
// directly with keys and signatures prepared once. An SGX/TDX quote has two floors: one ECDSA-P256
// verify (the quote under the attestation key: all a quote needs once its QE report is memoised)
// and two (that plus the QE report under the PCK key); an SNP report one ECDSA-P384 verify. Each
// row measures its verifier and its floors in alternating slices, so that load from elsewhere on
// the machine falls on all of them alike and the ratios hold.
//
// Usage: rats_verify_bench VECTORS_DIR [SECONDS_PER_MEASUREMENT=2] [--no-memo] [--calls N]
//   --no-memo  a cache without the QE report memo (signature_capacity 0), for comparison
//   --calls N  run each measurement exactly N times (after the warm-up) instead of for a time:
//              for instruction counts under `valgrind --tool=callgrind`, where time means little
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
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

// One thing measured: a call that must return true, how often it ran and for how long.
// One thing measured: a call that must return true, how often it ran, for how long, and how many
// ECDSA verifications the library ran meanwhile.
struct Meter {
  std::function<bool()> fn;
  long calls = 0;
  double seconds = 0;
  uint64_t ecdsa = 0;
  double rate() const { return calls / seconds; }
};

// How long to measure: for `seconds` each, or `calls` calls each when that is set.
struct Budget {
  double seconds = 2.0;
  long calls = 0;
};

// Runs the meters in turns of 50 calls each until every one has used its budget, after a warm-up
// of 20 calls each. Alternating keeps a change in the machine's load from favouring one.
void measure(std::vector<Meter*> meters, const Budget& budget) {
  using clock = std::chrono::steady_clock;
  for (Meter* m : meters) {
    for (int i = 0; i < 20; ++i) m->fn();
  }
  auto done = [&](const Meter* m) {
    return budget.calls > 0 ? m->calls >= budget.calls : m->seconds >= budget.seconds;
  };
  bool more = true;
  while (more) {
    more = false;
    for (Meter* m : meters) {
      if (done(m)) continue;
      long n = budget.calls > 0 ? std::min(50L, budget.calls - m->calls) : 50;
      uint64_t ecdsa = rats::crypto::ecdsa_verifications();
      auto start = clock::now();
      for (long i = 0; i < n; ++i) {
        if (!m->fn()) {
          std::fprintf(stderr, "rats_verify_bench: a verification failed\n");
          std::exit(1);
        }
      }
      m->seconds += std::chrono::duration<double>(clock::now() - start).count();
      m->ecdsa += rats::crypto::ecdsa_verifications() - ecdsa;
      m->calls += n;
      more = more || !done(m);
    }
  }
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

// The floors of an Intel quote, with keys and signatures prepared once: the quote under the
// attestation key (one verify), and that plus the QE report under the PCK key (two).
struct IntelFloors {
  Meter one, two;
};
std::unique_ptr<IntelFloors> intel_floors(const Buf& data) {
  auto q = rats::formats::parse_intel_quote(data);
  auto chain = q.ok() ? rats::crypto::parse_pem_chain(q->sig.cert_data)
                      : base::Result<std::vector<rats::crypto::X509Ptr>>(q.error());
  if (!chain.ok()) {
    std::fprintf(stderr, "rats_verify_bench: the quote or its PCK chain does not parse\n");
    std::exit(2);
  }
  struct Prepared {
    rats::IntelQuote q;
    rats::crypto::X509Ptr pck;
    rats::crypto::PkeyPtr att;
    Buf quote_sig, qe_sig;
  };
  auto p = std::make_shared<Prepared>();
  p->q = std::move(*q);
  p->pck = std::move(chain->front());
  p->att = std::move(*rats::crypto::p256_public_key(p->q.sig.attestation_key));
  const auto& sig = p->q.sig;
  p->quote_sig = der_sig(sig.quote_signature.data(), sig.quote_signature.data() + 32, 32, false);
  p->qe_sig =
      der_sig(sig.qe_report_signature.data(), sig.qe_report_signature.data() + 32, 32, false);
  auto quote = [p, &data] {
    return raw_verify(p->att.get(), EVP_sha256(), p->quote_sig, data.data(), p->q.signed_len);
  };
  auto qe_report = [p] {
    return raw_verify(X509_get0_pubkey(p->pck.get()), EVP_sha256(), p->qe_sig,
                      p->q.sig.qe_report_raw.data(), p->q.sig.qe_report_raw.size());
  };
  auto floors = std::make_unique<IntelFloors>();
  floors->one.fn = quote;
  floors->two.fn = [quote, qe_report] { return quote() && qe_report(); };
  return floors;
}

// The floor of an SNP report: its P-384 verify.
Meter snp_floor(const Buf& data, const Buf& vcek_der) {
  auto r = rats::formats::parse_snp_report(data);
  auto vcek = rats::crypto::parse_certificate(vcek_der);
  if (!r.ok() || !vcek.ok()) {
    std::fprintf(stderr, "rats_verify_bench: the SNP report or the VCEK does not parse\n");
    std::exit(2);
  }
  auto cert = std::shared_ptr<X509>(vcek->release(), X509_free);
  auto sig = std::make_shared<Buf>(der_sig(r->signature_r.data(), r->signature_s.data(), 48, true));
  Meter m;
  m.fn = [cert, sig, &data] {
    return raw_verify(X509_get0_pubkey(cert.get()), EVP_sha384(), *sig, data.data(),
                      rats::kSnpSignedLen);
  };
  return m;
}

// Pins this thread to the first CPU it may run on; returns that CPU, or -1.
int pin_to_one_cpu() {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) return -1;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) != 1) return -1;
    return cpu;
  }
  return -1;
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
  std::vector<std::string> args;
  bool memo = true;
  Budget budget;
  bool usage = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-memo") {
      memo = false;
    } else if (a == "--calls" && i + 1 < argc) {
      budget.calls = std::atol(argv[++i]);
      usage = usage || budget.calls <= 0;
    } else {
      args.push_back(a);
    }
  }
  if (usage || args.empty() || args.size() > 2) {
    std::fprintf(stderr,
                 "usage: rats_verify_bench VECTORS_DIR [SECONDS_PER_MEASUREMENT=2] [--no-memo] "
                 "[--calls N]\n");
    return 2;
  }
  g_dir = args[0];
  if (args.size() > 1) budget.seconds = std::atof(args[1].c_str());
  int cpu = pin_to_one_cpu();
  if (cpu < 0) {
    std::perror("rats_verify_bench: pinning to one CPU failed (continuing unpinned)");
  }

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

  std::printf("%-28s %9s %7s %11s %6s %11s %6s  %s\n", "evidence", "verify/s", "ECDSA/v",
              "floor1/s", "ratio", "floor2/s", "ratio", "goal");
  int failures = 0;
  for (const auto& row : rows) {
    rats::VerifierOptions options;
    options.cache = std::make_shared<rats::CollateralCache>(256, memo ? 1024 : 0);
    auto verifier = rats::make_verifier(row.verifier, options);
    if (!verifier.ok()) {
      std::printf("%-28s %s\n", row.name, verifier.error().what().c_str());
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
    Meter verify;
    verify.fn = [&] {
      auto v = (*verifier)->verify(req);
      return v.ok() && v->trusted;
    };
    bool snp = std::string(row.verifier) == "snp";
    char goal[96];
    bool met;
    if (snp) {
      Meter floor = snp_floor(evidence, col.by_role["vcek"]);
      measure({&verify, &floor}, budget);
      met = verify.rate() >= 0.95 * floor.rate();
      std::snprintf(goal, sizeof goal, ">= 0.95 x floor1 %s", met ? "met" : "MISSED");
      std::printf("%-28s %9.0f %7.2f %11.0f %6.2f %11s %6s  %s\n", row.name, verify.rate(),
                  double(verify.ecdsa) / verify.calls, floor.rate(), verify.rate() / floor.rate(),
                  "-", "-", goal);
    } else {
      auto floors = intel_floors(evidence);
      measure({&verify, &floors->one, &floors->two}, budget);
      // The goal is the memo's: without it a quote costs two verifies (floor2 is its limit).
      // Issue 15 set it at 15,000/s where the one-verify floor was about 20,000/s, i.e. 0.75 of
      // floor1; machines differ (this kind measured 13,700 to 20,000 P-256 verifies/s), so the
      // ratio decides and the absolute figure is printed beside it.
      bool ratio_met = verify.rate() >= 0.75 * floors->one.rate();
      bool absolute_met = verify.rate() >= 15000;
      met = !memo || ratio_met;
      std::snprintf(goal, sizeof goal, "%s",
                    !memo ? "- (memo off)"
                          : (std::string(">= 0.75 x floor1 ") + (ratio_met ? "met" : "MISSED") +
                             "; >= 15000/s " +
                             (absolute_met ? "met"
                              : floors->one.rate() < 15000 ? "out of reach (floor1 lower)"
                                                           : "MISSED"))
                                .c_str());
      std::printf("%-28s %9.0f %7.2f %11.0f %6.2f %11.0f %6.2f  %s\n", row.name, verify.rate(),
                  double(verify.ecdsa) / verify.calls, floors->one.rate(),
                  verify.rate() / floors->one.rate(), floors->two.rate(),
                  verify.rate() / floors->two.rate(), goal);
    }
    failures += met ? 0 : 1;
  }
  if (cpu >= 0 && sched_getcpu() != cpu) {
    std::fprintf(stderr, "rats_verify_bench: ran on CPU %d, not the CPU %d it was pinned to\n",
                 sched_getcpu(), cpu);
    ++failures;
  }
  std::printf(
      "(CPU %d only; collateral cached; QE report memo %s; ECDSA/v: ECDSA verifies per "
      "verification;\n floor1: one ECDSA verify (Intel: quote only; SNP: P-384), floor2: two "
      "(Intel: quote + QE report))\n",
      cpu, memo ? "on" : "off");
  return failures == 0 ? 0 : 1;
}
