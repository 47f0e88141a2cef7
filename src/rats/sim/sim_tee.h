// The sim TEE: a software TEE for machines without TEE hardware (ARCHITECTURE.md "The TEE model
// without TEE hardware"). It is honest about being insecure, but it speaks a real evidence format:
// its quotes are SGX DCAP ECDSA quotes v3, byte for byte in the layout of real quotes
// (attestation-formats.md §1, §2, §4), signed under a local simulated PKI that mimics Intel's:
//
//   "Inclavare sim SGX Root CA" (self-signed, P-256)
//     ├─ "Inclavare sim SGX PCK Platform CA" ── "Inclavare sim SGX PCK Certificate" (PCK leaf,
//     │                                           with the SGX extension 1.2.840.113741.1.13.1)
//     └─ "Inclavare sim SGX TCB Signing" (signs TCB info and QE identity)
//
// with a root CA CRL, a PCK CRL, TCB info v3 and QE identity v2, so that the Intel verifier checks
// sim quotes with exactly the code it uses for real ones; only the trust anchor differs, and a
// verifier trusts it only when its policy names the sim root key (Policy::trust_sim_root with
// root_key_sha256()).
//
// State directory (mode 0700), created at first use under an flock on `<dir>/lock`:
//   pki/                      (0700) created complete in a temporary folder, then renamed
//     {root_ca,pck_platform_ca,pck,tcb_signing}.key   PKCS#8 PEM private keys, mode 0600
//     {root_ca,pck_platform_ca,pck,tcb_signing}.pem   certificates
//   root_ca.pem, pck_crl.der, pck_crl_issuer_chain.pem, root_ca_crl.der, tcb_info.json,
//   tcb_info_issuer_chain.pem, qe_identity.json, qe_identity_issuer_chain.pem
//                             collateral, each file written to a temporary name and renamed
//   collateral.json           role -> file (relative paths), as rats::load_collateral_json reads
//   issue.json                when and with which SimOptions the collateral was issued; written
//                             last (and removed first when re-issuing), so it marks a complete set
//
// The files on disk are those of the last open(); each SimTee keeps the collateral it loaded.
//
// The keys never leave the state directory; the attestation key (the "QE" key) is generated per
// SimTee in memory and certified by each quote's QE report, as on real hardware.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "inclavare/sim_tee.h"
#include "rats/attester.h"
#include "rats/evidence.h"
#include "rats/verifier.h"

namespace rats::sim {

// A C array of the sim TEE's header (inclavare/sim_tee.h, shared with liberpal-sim) as Bytes.
template <size_t N>
inline Bytes<N> bytes_of(const uint8_t (&a)[N]) {
  Bytes<N> b{};
  for (size_t i = 0; i < N; ++i) b[i] = a[i];
  return b;
}

// Fixed values of the simulated platform. The PCK certificate's SGX extension, the quote header,
// the QE report and the TCB info / QE identity levels all agree on them.
inline constexpr Bytes<6> kSimFmspc = {0x00, 0x90, 0x6E, 0xD5, 0x00, 0x00};
inline constexpr Bytes<2> kSimPceId = {0x00, 0x00};
// The 16 SGX TCB component SVNs of the sim platform; also its CPUSVN (as on Intel platforms),
// which liberpal-sim's REPORTs carry too.
inline const Bytes<16> kSimCpuSvn = bytes_of(SIM_TEE_CPUSVN);
inline constexpr uint16_t kSimPceSvn = 13;
// SGX type in the PCK extension (1 Scalable, as on the platform-CA PCK leaves of the vectors,
// which also carry the platform instance id `.6` and the configuration `.7`: dynamicPlatform
// TRUE, cachedKeys FALSE, SMTEnabled FALSE). The PPID and platform instance id are random per
// state directory.
inline constexpr uint8_t kSimSgxType = 1;
inline constexpr uint32_t kSimTcbEvaluationDataNumber = 17;
// The sim quoting enclave: its identity in QE reports and in the QE identity document.
inline constexpr uint16_t kSimQeSvn = 8;  // QE ISVSVN, also the quote header's qe_svn
inline constexpr uint16_t kSimQeIsvProdId = 1;
inline constexpr Bytes<32> kSimQeMrsigner = {
    0x5e, 0x1c, 0x1a, 0xa7, 0x0d, 0xe5, 0x1b, 0x3c, 0x2f, 0x6a, 0x90, 0x4e, 0x77, 0xc3, 0x08, 0x61,
    0xb4, 0x29, 0xd8, 0x53, 0xee, 0x10, 0x4a, 0x6f, 0x95, 0x02, 0x3d, 0xc8, 0x7b, 0x11, 0xf0, 0x5a};
// The sim QE's MRENCLAVE: the target of the REPORTs it quotes (rune attest, the attestation
// channel) and the MRENCLAVE of its own QE reports; one QE.
inline const Bytes<32> kSimQeMrenclave = bytes_of(SIM_TEE_QE_MRENCLAVE);
// Lifetime of the CRLs, TCB info and QE identity from their issue time.
inline constexpr int64_t kSimCollateralValidity = 30 * 24 * 3600;

// `/var/lib/inclavare/sim-tee` for root; otherwise `$XDG_STATE_HOME/inclavare/sim-tee`, or
// `$HOME/.local/state/inclavare/sim-tee` when XDG_STATE_HOME is unset or empty.
std::string default_state_dir();

// How the collateral is issued; the defaults give a fully trusted platform. For negative tests.
// Collateral is re-issued (same keys) whenever open() is called with other options than the
// state holds. Expired collateral needs no option: verify at a time ≥ issue time + 30 days.
struct SimOptions {
  bool revoke_pck = false;                 // list the PCK leaf's serial in the PCK CRL
  bool revoke_platform_ca = false;         // list the PCK Platform CA's serial in the root CA CRL
  std::string tcb_status = "UpToDate";     // status of the TCB level matching the sim platform
  std::string qe_tcb_status = "UpToDate";  // status of the QE identity level of kSimQeSvn
  // Read-only (a state bind-mounted read-only into a container): no lock, nothing created or
  // re-issued; a state without its PKI, or whose collateral would need re-issuing, is an error
  // naming the directory. The sim attester uses it when the directory is not writable.
  bool read_only = false;
};

// The identity of the enclave a quote is for (the ISV report body). ATTRIBUTES are INIT |
// MODE64BIT, plus DEBUG when `debug`, with XFRM 0x3 (x87, SSE); MISCSELECT, CONFIGID and the other
// fields are zero. The sim attester uses the defaults below except for `mrenclave`, which it sets
// to default_mrenclave().
struct EnclaveIdentity {
  Bytes<32> mrenclave{};
  Bytes<32> mrsigner{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  bool debug = false;
};

// SHA-256 of the contents of /proc/self/exe, computed once per process: the MRENCLAVE the sim
// attester reports, so that a policy can pin "this program". Fails when the file cannot be read.
base::Result<Bytes<32>> default_mrenclave();

class SimTee {
 public:
  // Opens the sim TEE state in `state_dir` at Unix time `now`, creating the PKI and collateral at
  // first use, and re-issuing the collateral (same keys, issue time `now`) when `now` is outside
  // its [issue, issue + 30 days) window or `options` differ from those it was issued with.
  // Creates a fresh in-memory attestation key.
  static base::Result<SimTee> open(const std::string& state_dir, int64_t now,
                                   const SimOptions& options = {});

  const std::string& state_dir() const;
  // The collateral by role: root_ca, pck_crl, pck_crl_issuer_chain, root_ca_crl, tcb_info,
  // tcb_info_issuer_chain, qe_identity, qe_identity_issuer_chain (as loaded by open()).
  Collateral collateral() const;
  std::string collateral_json_path() const;
  // SHA-256 of the root certificate's DER SubjectPublicKeyInfo: what a policy names to trust it.
  Bytes<32> root_key_sha256() const;
  // Certificates as PEM: the root, the PCK Platform CA, the PCK leaf, the TCB Signing cert.
  const std::string& root_pem() const;
  const std::string& platform_ca_pem() const;
  const std::string& pck_pem() const;
  const std::string& tcb_signing_pem() const;
  // Issue time of the collateral held.
  int64_t issued_at() const;

  // An SGX quote v3 for `id` with `report_data`, certified by this instance's attestation key,
  // whose QE report is signed by the PCK key; certification data type 5 (PCK chain PEM: leaf,
  // platform CA, root, then a NUL).
  base::Result<std::vector<uint8_t>> make_quote(std::span<const uint8_t, 64> report_data,
                                                const EnclaveIdentity& id) const;
  // The sim QE quoting a REPORT made for it (by liberpal-sim: pal_get_local_report or the
  // attestation channel): its MAC must verify with the QE's report key (base/sim_report.h), and
  // its body becomes the quote's report body unchanged. A REPORT for another target, or altered,
  // is refused.
  base::Result<std::vector<uint8_t>> quote_report(std::span<const uint8_t, 432> report) const;

  struct State;

 private:
  explicit SimTee(std::shared_ptr<const State> s) : s_(std::move(s)) {}
  std::shared_ptr<const State> s_;
};

// The "sim" attester: opens SimTee in options.sim_state_dir (or default_state_dir()) at the
// current time. In a process liberpal-sim started (INCLAVARE_SIM_ATTEST_FD set), it asks the
// attestation channel for a REPORT targeted at the sim QE with the report data, and quotes it
// (MRENCLAVE: the enclave's measurement; the descriptor is made close-on-exec). Otherwise it
// quotes EnclaveIdentity{mrenclave = default_mrenclave()} itself.
// The "sim" verifier (sim_verifier.cpp): the Intel SGX verifier trusting the sim root of
// `options.sim_state_dir` (default: default_state_dir()).
base::Result<std::unique_ptr<Verifier>> make_sim_verifier(const VerifierOptions& options);

base::Result<std::unique_ptr<Attester>> make_sim_attester(const AttesterOptions& options);

}  // namespace rats::sim
