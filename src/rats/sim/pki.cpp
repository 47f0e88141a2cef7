// The sim TEE's PKI and collateral: creation at first use in the state directory, loading, and
// re-issue of the CRLs, TCB info and QE identity (sim_tee.h describes the layout).
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/fd.h"
#include "base/file.h"
#include "base/json_reader.h"
#include "rats/crypto/openssl_util.h"
#include "rats/crypto/x509.h"
#include "rats/sim/sim_internal.h"

namespace rats::sim {

namespace {

using crypto::ObjPtr;
using crypto::OsslDeleter;
using crypto::PkeyPtr;
using crypto::X509Ptr;
using NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME, X509_NAME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using IntPtr = std::unique_ptr<ASN1_INTEGER, OsslDeleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, OsslDeleter<ASN1_TIME, ASN1_TIME_free>>;
using OctetPtr =
    std::unique_ptr<ASN1_OCTET_STRING, OsslDeleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using EnumPtr =
    std::unique_ptr<ASN1_ENUMERATED, OsslDeleter<ASN1_ENUMERATED, ASN1_ENUMERATED_free>>;
using RevokedPtr = std::unique_ptr<X509_REVOKED, OsslDeleter<X509_REVOKED, X509_REVOKED_free>>;

constexpr int64_t kDay = 24 * 3600;
constexpr int64_t kYear = 365 * kDay;
constexpr std::string_view kSgxExtOid = "1.2.840.113741.1.13.1";
constexpr const char* kOrganization = "Inclavare Containers simulated TEE (insecure)";

// The four keys and certificates of the PKI, by file stem in pki/.
enum Role { kRoot, kPlatformCa, kPck, kTcbSigning, kRoleCount };
constexpr std::array<std::string_view, kRoleCount> kStems = {"root_ca", "pck_platform_ca", "pck",
                                                             "tcb_signing"};

struct Pki {
  std::array<PkeyPtr, kRoleCount> key;
  std::array<X509Ptr, kRoleCount> cert;
  std::array<std::string, kRoleCount> pem;
};

// ---------------------------------------------------------------------------------------------
// Files

// Writes `data` to `path`.tmp with `mode` (whatever the umask), syncs it and renames it over
// `path`. Callers hold the state lock, so the temporary name is theirs.
base::Status write_atomic(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp";
  base::UniqueFd fd(
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd.valid()) return base::sys_error("create `" + tmp + "`");
  if (fchmod(fd.get(), mode) != 0) return base::sys_error("chmod `" + tmp + "`");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      unlink(tmp.c_str());
      return base::sys_error("write `" + tmp + "`", e);
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return base::sys_error("fsync `" + tmp + "`");
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    return base::sys_error("rename `" + tmp + "` to `" + path + "`", e);
  }
  return base::ok();
}

void fsync_dir(const std::string& dir) {
  base::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) (void)fsync(fd.get());
}

// Creates `dir` (and parents) and makes it 0700.
base::Status make_private_dir(const std::string& dir) {
  TRY(base::mkdir_all(dir, 0700));
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return base::sys_error("stat `" + dir + "`");
  if ((st.st_mode & 07777) != 0700 && chmod(dir.c_str(), 0700) != 0)
    return base::sys_error("chmod 0700 `" + dir + "`");
  return base::ok();
}

std::string iso8601(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string upper_hex(std::span<const uint8_t> b) {
  std::string h = base::hex_encode(b.data(), b.size());
  for (char& c : h) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return h;
}

// ---------------------------------------------------------------------------------------------
// DER for the SGX extension (attestation-formats.md §5, "PCK certificate SGX extension")

std::vector<uint8_t> tlv(uint8_t tag, std::span<const uint8_t> content) {
  std::vector<uint8_t> out{tag};
  size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xff) {
    out.insert(out.end(), {0x81, static_cast<uint8_t>(n)});
  } else {
    out.insert(out.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

std::vector<uint8_t> der_oid(const std::string& dotted) {
  ObjPtr obj(OBJ_txt2obj(dotted.c_str(), 1));
  std::vector<uint8_t> out;
  int len = obj ? i2d_ASN1_OBJECT(obj.get(), nullptr) : -1;
  if (len <= 0) return out;  // never: the OIDs are constants
  out.resize(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_ASN1_OBJECT(obj.get(), &p);
  return out;
}
std::vector<uint8_t> der_uint(uint8_t tag, unsigned v) {
  std::vector<uint8_t> content;
  do {
    content.insert(content.begin(), static_cast<uint8_t>(v & 0xff));
    v >>= 8;
  } while (v != 0);
  if (content[0] & 0x80) content.insert(content.begin(), 0);
  return tlv(tag, content);
}

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// SEQUENCE { OID <base>.<arc>, value }
std::vector<uint8_t> sgx_entry(const std::string& arc, const std::vector<uint8_t>& value) {
  return tlv(0x30, cat({der_oid(std::string(kSgxExtOid) + "." + arc), value}));
}

std::vector<uint8_t> sgx_extension_der(std::span<const uint8_t, 16> ppid,
                                       std::span<const uint8_t, 16> platform_instance_id) {
  constexpr uint8_t kInteger = 0x02, kOctets = 0x04, kEnumerated = 0x0a, kBoolean = 0x01,
                    kSequence = 0x30;
  std::vector<uint8_t> tcb;
  for (int i = 0; i < 16; ++i) {
    auto e = sgx_entry("2." + std::to_string(i + 1), der_uint(kInteger, kSimCpuSvn[i]));
    tcb.insert(tcb.end(), e.begin(), e.end());
  }
  auto pcesvn = sgx_entry("2.17", der_uint(kInteger, kSimPceSvn));
  auto cpusvn = sgx_entry("2.18", tlv(kOctets, kSimCpuSvn));
  tcb.insert(tcb.end(), pcesvn.begin(), pcesvn.end());
  tcb.insert(tcb.end(), cpusvn.begin(), cpusvn.end());
  auto boolean = [&](bool b) {
    return tlv(kBoolean, std::vector<uint8_t>{b ? uint8_t{0xff} : uint8_t{0}});
  };
  auto config = cat({sgx_entry("7.1", boolean(true)), sgx_entry("7.2", boolean(false)),
                     sgx_entry("7.3", boolean(false))});
  return tlv(kSequence, cat({
                            sgx_entry("1", tlv(kOctets, ppid)),
                            sgx_entry("2", tlv(kSequence, tcb)),
                            sgx_entry("3", tlv(kOctets, kSimPceId)),
                            sgx_entry("4", tlv(kOctets, kSimFmspc)),
                            sgx_entry("5", der_uint(kEnumerated, kSimSgxType)),
                            sgx_entry("6", tlv(kOctets, platform_instance_id)),
                            sgx_entry("7", tlv(kSequence, config)),
                        }));
}

// ---------------------------------------------------------------------------------------------
// Certificates and CRLs

base::Result<IntPtr> random_serial() {
  uint8_t b[20];
  if (RAND_bytes(b, sizeof b) != 1) return crypto::internal("RAND_bytes failed");
  b[0] = static_cast<uint8_t>((b[0] & 0x7f) | 0x40);  // positive, 20 bytes
  crypto::BnPtr bn(BN_bin2bn(b, sizeof b, nullptr));
  IntPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial) return crypto::internal("cannot make a certificate serial number");
  return serial;
}

base::Result<NamePtr> make_name(const std::string& cn) {
  NamePtr name(X509_NAME_new());
  auto add = [&](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                      0) == 1;
  };
  if (!name || !add("CN", cn) || !add("O", kOrganization))
    return crypto::internal("cannot build the name `" + cn + "`");
  return name;
}

base::Status add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return crypto::internal(std::string("cannot add extension ") + OBJ_nid2sn(nid) + " = " + value);
  return base::ok();
}

struct CertSpec {
  std::string cn;
  EVP_PKEY* key = nullptr;         // the subject's key
  const X509* issuer = nullptr;    // null: self-signed
  EVP_PKEY* issuer_key = nullptr;  // the key that signs
  int64_t not_before = 0;
  int64_t not_after = 0;
  const char* basic_constraints = nullptr;
  const char* key_usage = nullptr;
  std::vector<uint8_t> sgx_extension;  // DER contents of 1.2.840.113741.1.13.1, when not empty
};

base::Result<X509Ptr> make_cert(const CertSpec& spec) {
  X509Ptr x(X509_new());
  if (!x) return crypto::internal("X509_new failed");
  ASSIGN_OR_RETURN(IntPtr serial, random_serial());
  ASSIGN_OR_RETURN(NamePtr subject, make_name(spec.cn));
  X509* issuer = const_cast<X509*>(spec.issuer ? spec.issuer : x.get());
  if (X509_set_version(x.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(x.get(), serial.get()) != 1 ||
      X509_set_subject_name(x.get(), subject.get()) != 1 ||
      X509_set_issuer_name(x.get(),
                           spec.issuer ? X509_get_subject_name(spec.issuer) : subject.get()) != 1 ||
      !ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(spec.not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(spec.not_after)) ||
      X509_set_pubkey(x.get(), spec.key) != 1) {
    return crypto::internal("cannot fill in the certificate `" + spec.cn + "`");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, x.get(), nullptr, nullptr, 0);
  if (!spec.issuer && X509V3_set_issuer_pkey(&ctx, spec.issuer_key) != 1)
    return crypto::internal("X509V3_set_issuer_pkey failed");
  // The order of Intel's certificates: AKI, (CRL DP), SKI, key usage, basic constraints, SGX.
  if (spec.issuer) TRY(add_ext(x.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  TRY(add_ext(x.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (!spec.issuer) TRY(add_ext(x.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  TRY(add_ext(x.get(), &ctx, NID_key_usage, spec.key_usage));
  TRY(add_ext(x.get(), &ctx, NID_basic_constraints, spec.basic_constraints));
  if (!spec.sgx_extension.empty()) {
    ObjPtr obj(OBJ_txt2obj(std::string(kSgxExtOid).c_str(), 1));
    OctetPtr data(ASN1_OCTET_STRING_new());
    if (!obj || !data ||
        ASN1_OCTET_STRING_set(data.get(), spec.sgx_extension.data(),
                              static_cast<int>(spec.sgx_extension.size())) != 1)
      return crypto::internal("cannot build the SGX extension");
    ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), 0, data.get()));
    if (!ext || X509_add_ext(x.get(), ext.get(), -1) != 1)
      return crypto::internal("cannot add the SGX extension");
  }
  if (X509_sign(x.get(), spec.issuer_key, EVP_sha256()) <= 0)
    return crypto::openssl_error(base::Category::internal, "signing `" + spec.cn + "` failed");
  return x;
}

base::Result<std::string> cert_pem(const X509* cert) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), const_cast<X509*>(cert)) != 1)
    return crypto::internal("PEM encoding of a certificate failed");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

base::Result<std::string> key_pem(EVP_PKEY* key) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return crypto::internal("PEM encoding of a private key failed");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// A v2 CRL issued by `issuer` at `now`, next update 30 days later, listing `revoked` (reason
// keyCompromise), with a CRL number and the issuer's key id, DER-encoded.
base::Result<std::string> make_crl(const X509* issuer, EVP_PKEY* issuer_key, int64_t now,
                                   const std::vector<const ASN1_INTEGER*>& revoked) {
  crypto::CrlPtr crl(X509_CRL_new());
  TimePtr this_update(ASN1_TIME_set(nullptr, static_cast<time_t>(now)));
  TimePtr next_update(ASN1_TIME_set(nullptr, static_cast<time_t>(now + kSimCollateralValidity)));
  IntPtr number(ASN1_INTEGER_new());
  if (!crl || !this_update || !next_update || !number ||
      X509_CRL_set_version(crl.get(), 1) != 1 ||  // v2
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1 ||
      ASN1_INTEGER_set_int64(number.get(), now) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
    return crypto::internal("cannot fill in a CRL");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, const_cast<X509*>(issuer), nullptr, nullptr, crl.get(), 0);
  ExtPtr akid(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!akid || X509_CRL_add_ext(crl.get(), akid.get(), -1) != 1)
    return crypto::internal("cannot add the CRL's authority key identifier");
  for (const ASN1_INTEGER* serial : revoked) {
    RevokedPtr r(X509_REVOKED_new());
    EnumPtr reason(ASN1_ENUMERATED_new());
    if (!r || !reason ||
        X509_REVOKED_set_serialNumber(r.get(), const_cast<ASN1_INTEGER*>(serial)) != 1 ||
        X509_REVOKED_set_revocationDate(r.get(), this_update.get()) != 1 ||
        ASN1_ENUMERATED_set(reason.get(), 1) != 1 ||  // keyCompromise
        X509_REVOKED_add1_ext_i2d(r.get(), NID_crl_reason, reason.get(), 0, 0) != 1 ||
        X509_CRL_add0_revoked(crl.get(), r.get()) != 1) {
      return crypto::internal("cannot add a revoked entry to a CRL");
    }
    (void)r.release();  // owned by the CRL
  }
  if (X509_CRL_sort(crl.get()) != 1 || X509_CRL_sign(crl.get(), issuer_key, EVP_sha256()) <= 0)
    return crypto::openssl_error(base::Category::internal, "signing a CRL failed");
  int len = i2d_X509_CRL(crl.get(), nullptr);
  if (len <= 0) return crypto::internal("DER encoding of a CRL failed");
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<uint8_t*>(der.data());
  i2d_X509_CRL(crl.get(), &p);
  return der;
}

// ---------------------------------------------------------------------------------------------
// Signed JSON collateral (attestation-formats.md §5 steps 6 and 9)

// {"<field>":<body>,"signature":"<hex r||s over the exact bytes of body>"}
base::Result<std::string> signed_document(const char* field, const std::string& body,
                                          EVP_PKEY* key) {
  ASSIGN_OR_RETURN(
      Bytes<64> sig,
      sign_p256_sha256(key, {reinterpret_cast<const uint8_t*>(body.data()), body.size()}));
  return std::string("{\"") + field + "\":" + body + ",\"signature\":\"" +
         base::hex_encode(sig.data(), sig.size()) + "\"}";
}

nlohmann::ordered_json advisories(const std::string& status) {
  auto a = nlohmann::ordered_json::array();
  if (status != "UpToDate") a.push_back("INCLAVARE-SIM-SA-0001");
  return a;
}

std::string tcb_info_body(int64_t now, const SimOptions& options) {
  using oj = nlohmann::ordered_json;
  auto level = [](const Bytes<16>& comps, unsigned pcesvn, const char* date,
                  const std::string& status) {
    oj c = oj::array();
    for (uint8_t svn : comps) c.push_back(oj{{"svn", svn}});
    oj l = {{"tcb", {{"sgxtcbcomponents", c}, {"pcesvn", pcesvn}}},
            {"tcbDate", date},
            {"tcbStatus", status}};
    if (status != "UpToDate") l["advisoryIDs"] = advisories(status);
    return l;
  };
  Bytes<16> older = kSimCpuSvn;
  for (auto& svn : older) svn = svn > 0 ? static_cast<uint8_t>(svn - 1) : 0;
  oj info = {
      {"id", "SGX"},
      {"version", 3},
      {"issueDate", iso8601(now)},
      {"nextUpdate", iso8601(now + kSimCollateralValidity)},
      {"fmspc", upper_hex(kSimFmspc)},
      {"pceId", upper_hex(kSimPceId)},
      {"tcbType", 0},
      {"tcbEvaluationDataNumber", kSimTcbEvaluationDataNumber},
      {"tcbLevels",
       oj::array({level(kSimCpuSvn, kSimPceSvn, "2025-01-01T00:00:00Z", options.tcb_status),
                  level(older, kSimPceSvn - 2, "2024-01-01T00:00:00Z", "OutOfDate")})},
  };
  return info.dump();
}

std::string qe_identity_body(int64_t now, const SimOptions& options) {
  using oj = nlohmann::ordered_json;
  auto level = [](unsigned isvsvn, const char* date, const std::string& status) {
    oj l = {{"tcb", {{"isvsvn", isvsvn}}}, {"tcbDate", date}, {"tcbStatus", status}};
    if (status != "UpToDate") l["advisoryIDs"] = advisories(status);
    return l;
  };
  oj id = {
      {"id", "QE"},
      {"version", 2},
      {"issueDate", iso8601(now)},
      {"nextUpdate", iso8601(now + kSimCollateralValidity)},
      {"tcbEvaluationDataNumber", kSimTcbEvaluationDataNumber},
      {"miscselect", "00000000"},
      {"miscselectMask", "FFFFFFFF"},
      {"attributes", "11000000000000000000000000000000"},
      {"attributesMask", "FBFFFFFFFFFFFFFF0000000000000000"},
      {"mrsigner", upper_hex(kSimQeMrsigner)},
      {"isvprodid", kSimQeIsvProdId},
      {"tcbLevels", oj::array({level(kSimQeSvn, "2025-01-01T00:00:00Z", options.qe_tcb_status),
                               level(kSimQeSvn - 2, "2024-01-01T00:00:00Z", "OutOfDate")})},
  };
  return id.dump();
}

nlohmann::json options_json(const SimOptions& o) {
  return {{"revoke_pck", o.revoke_pck},
          {"revoke_platform_ca", o.revoke_platform_ca},
          {"tcb_status", o.tcb_status},
          {"qe_tcb_status", o.qe_tcb_status}};
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kCollateralFiles = {{
    {"root_ca", "root_ca.pem"},
    {"pck_crl", "pck_crl.der"},
    {"pck_crl_issuer_chain", "pck_crl_issuer_chain.pem"},
    {"root_ca_crl", "root_ca_crl.der"},
    {"tcb_info", "tcb_info.json"},
    {"tcb_info_issuer_chain", "tcb_info_issuer_chain.pem"},
    {"qe_identity", "qe_identity.json"},
    {"qe_identity_issuer_chain", "qe_identity_issuer_chain.pem"},
}};

// Issues every collateral file at `now` and writes collateral.json and issue.json (last).
base::Status issue_collateral(const std::string& dir, const Pki& pki, int64_t now,
                              const SimOptions& options) {
  // issue.json is what marks the set as complete: remove it first, so that a crash half-way
  // leaves a set that the next open() re-issues instead of using.
  std::string issue_path = base::path_join(dir, "issue.json");
  if (unlink(issue_path.c_str()) != 0 && errno != ENOENT)
    return base::sys_error("remove `" + issue_path + "`");
  std::vector<const ASN1_INTEGER*> pck_revoked, root_revoked;
  if (options.revoke_pck) pck_revoked.push_back(X509_get0_serialNumber(pki.cert[kPck].get()));
  if (options.revoke_platform_ca)
    root_revoked.push_back(X509_get0_serialNumber(pki.cert[kPlatformCa].get()));
  ASSIGN_OR_RETURN(std::string pck_crl, make_crl(pki.cert[kPlatformCa].get(),
                                                 pki.key[kPlatformCa].get(), now, pck_revoked));
  ASSIGN_OR_RETURN(std::string root_crl,
                   make_crl(pki.cert[kRoot].get(), pki.key[kRoot].get(), now, root_revoked));
  ASSIGN_OR_RETURN(std::string tcb_info, signed_document("tcbInfo", tcb_info_body(now, options),
                                                         pki.key[kTcbSigning].get()));
  ASSIGN_OR_RETURN(std::string qe_identity,
                   signed_document("enclaveIdentity", qe_identity_body(now, options),
                                   pki.key[kTcbSigning].get()));
  std::map<std::string_view, std::string> content = {
      {"root_ca", pki.pem[kRoot]},
      {"pck_crl", pck_crl},
      {"pck_crl_issuer_chain", pki.pem[kPlatformCa] + pki.pem[kRoot]},
      {"root_ca_crl", root_crl},
      {"tcb_info", tcb_info},
      {"tcb_info_issuer_chain", pki.pem[kTcbSigning] + pki.pem[kRoot]},
      {"qe_identity", qe_identity},
      {"qe_identity_issuer_chain", pki.pem[kTcbSigning] + pki.pem[kRoot]},
  };
  nlohmann::ordered_json index = nlohmann::ordered_json::object();
  for (const auto& [role, file] : kCollateralFiles) {
    TRY(write_atomic(base::path_join(dir, file), content.at(role), 0644));
    index[std::string(role)] = std::string(file);
  }
  TRY(write_atomic(base::path_join(dir, "collateral.json"), index.dump(2) + "\n", 0644));
  nlohmann::json issue = {{"issued_at", now}, {"options", options_json(options)}};
  TRY(write_atomic(issue_path, issue.dump() + "\n", 0644));
  fsync_dir(dir);
  return base::ok();
}

// ---------------------------------------------------------------------------------------------
// PKI creation and loading

std::atomic<unsigned> g_tmp_counter{0};

// Removes pki.tmp.* folders left by a creator that died (the caller holds the lock).
void remove_stale_tmp(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> stale;
  while (struct dirent* e = readdir(d)) {
    if (std::string_view(e->d_name).starts_with("pki.tmp.")) stale.emplace_back(e->d_name);
  }
  closedir(d);
  for (const auto& name : stale) (void)base::remove_all(base::path_join(dir, name));
}

// Creates the keys and certificates in a temporary folder and renames it to `dir`/pki.
base::Status create_pki(const std::string& dir, int64_t now) {
  remove_stale_tmp(dir);
  Pki pki;
  for (auto& k : pki.key) {
    ASSIGN_OR_RETURN(k, generate_p256());
  }
  Bytes<16> ppid, instance_id;
  if (RAND_bytes(ppid.data(), 16) != 1 || RAND_bytes(instance_id.data(), 16) != 1)
    return crypto::internal("RAND_bytes failed");

  CertSpec root{"Inclavare sim SGX Root CA",
                pki.key[kRoot].get(),
                nullptr,
                pki.key[kRoot].get(),
                now - kDay,
                now + 30 * kYear,
                "critical,CA:TRUE,pathlen:1",
                "critical,keyCertSign,cRLSign",
                {}};
  ASSIGN_OR_RETURN(pki.cert[kRoot], make_cert(root));
  CertSpec platform{"Inclavare sim SGX PCK Platform CA",
                    pki.key[kPlatformCa].get(),
                    pki.cert[kRoot].get(),
                    pki.key[kRoot].get(),
                    now - kDay,
                    now + 15 * kYear,
                    "critical,CA:TRUE,pathlen:0",
                    "critical,keyCertSign,cRLSign",
                    {}};
  ASSIGN_OR_RETURN(pki.cert[kPlatformCa], make_cert(platform));
  CertSpec pck{"Inclavare sim SGX PCK Certificate",
               pki.key[kPck].get(),
               pki.cert[kPlatformCa].get(),
               pki.key[kPlatformCa].get(),
               now - kDay,
               now + 7 * kYear,
               "critical,CA:FALSE",
               "critical,digitalSignature,nonRepudiation",
               sgx_extension_der(ppid, instance_id)};
  ASSIGN_OR_RETURN(pki.cert[kPck], make_cert(pck));
  CertSpec tcb{"Inclavare sim SGX TCB Signing",
               pki.key[kTcbSigning].get(),
               pki.cert[kRoot].get(),
               pki.key[kRoot].get(),
               now - kDay,
               now + 10 * kYear,
               "critical,CA:FALSE",
               "critical,digitalSignature,nonRepudiation",
               {}};
  ASSIGN_OR_RETURN(pki.cert[kTcbSigning], make_cert(tcb));

  std::string tmp = base::path_join(
      dir, "pki.tmp." + std::to_string(getpid()) + "." + std::to_string(g_tmp_counter++));
  if (mkdir(tmp.c_str(), 0700) != 0) return base::sys_error("mkdir `" + tmp + "`");
  for (int r = 0; r < kRoleCount; ++r) {
    ASSIGN_OR_RETURN(std::string kp, key_pem(pki.key[r].get()));
    ASSIGN_OR_RETURN(std::string cp, cert_pem(pki.cert[r].get()));
    std::string stem(kStems[r]);
    TRY(write_atomic(base::path_join(tmp, stem + ".key"), kp, 0600));
    TRY(write_atomic(base::path_join(tmp, stem + ".pem"), cp, 0644));
  }
  fsync_dir(tmp);
  std::string final_dir = base::path_join(dir, "pki");
  if (rename(tmp.c_str(), final_dir.c_str()) != 0) {
    int e = errno;
    (void)base::remove_all(tmp);
    return base::sys_error("rename `" + tmp + "` to `" + final_dir + "`", e);
  }
  fsync_dir(dir);
  return base::ok();
}

base::Result<Pki> load_pki(const std::string& dir) {
  Pki pki;
  std::string pki_dir = base::path_join(dir, "pki");
  for (int r = 0; r < kRoleCount; ++r) {
    std::string stem(kStems[r]);
    std::string key_path = base::path_join(pki_dir, stem + ".key");
    std::string cert_path = base::path_join(pki_dir, stem + ".pem");
    ASSIGN_OR_RETURN(std::string kp, base::read_file(key_path, 1 << 16));
    ASSIGN_OR_RETURN(pki.pem[r], base::read_file(cert_path, 1 << 16));
    ASSIGN_OR_RETURN(crypto::BioPtr bio,
                     crypto::memory_bio({reinterpret_cast<const uint8_t*>(kp.data()), kp.size()}));
    pki.key[r].reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!pki.key[r])
      return crypto::openssl_error(base::Category::invalid_argument,
                                   "sim TEE key `" + key_path + "` is malformed");
    auto cert = crypto::parse_certificate(
        {reinterpret_cast<const uint8_t*>(pki.pem[r].data()), pki.pem[r].size()});
    if (!cert.ok()) return std::move(cert).error().wrap("sim TEE certificate `" + cert_path + "`");
    pki.cert[r] = std::move(cert).value();
    if (X509_check_private_key(pki.cert[r].get(), pki.key[r].get()) != 1) {
      crypto::drain_openssl_errors();
      return base::invalid("sim TEE key `" + key_path + "` does not match `" + cert_path +
                           "`; remove the state directory `" + dir + "` to start over");
    }
  }
  return pki;
}

// Whether the collateral in `dir` was issued with `options` and is current at `now`; its issue
// time when it is.
std::optional<int64_t> current_issue(const std::string& dir, int64_t now,
                                     const SimOptions& options) {
  auto text = base::read_file(base::path_join(dir, "issue.json"), 1 << 16);
  if (!text.ok()) return std::nullopt;
  auto j = base::parse_json(*text, "issue.json");
  if (!j.ok()) return std::nullopt;
  base::JsonReader reader(*j);
  int64_t issued = 0;
  if (!reader.root()["issued_at"].need(issued) || !reader.root()["options"].present() ||
      *reader.root()["options"].json() != options_json(options))
    return std::nullopt;
  if (now < issued || now >= issued + kSimCollateralValidity) return std::nullopt;
  for (const auto& [role, file] : kCollateralFiles) {
    if (!base::path_exists(base::path_join(dir, file))) return std::nullopt;
  }
  if (!base::path_exists(base::path_join(dir, "collateral.json"))) return std::nullopt;
  return issued;
}

}  // namespace

std::string default_state_dir() {
  if (geteuid() == 0) return "/var/lib/inclavare/sim-tee";
  const char* xdg = getenv("XDG_STATE_HOME");
  if (xdg && *xdg) return base::path_join(xdg, "inclavare/sim-tee");
  const char* home = getenv("HOME");
  return base::path_join(home && *home ? home : "/", ".local/state/inclavare/sim-tee");
}

base::Result<SimTee> SimTee::open(const std::string& state_dir, int64_t now,
                                  const SimOptions& options) {
  if (state_dir.empty()) return base::invalid("sim TEE state directory is empty");
  if (!parse_tcb_status(options.tcb_status))
    return base::invalid("sim option tcb_status `" + options.tcb_status + "` is not a TCB status");
  if (!parse_tcb_status(options.qe_tcb_status))
    return base::invalid("sim option qe_tcb_status `" + options.qe_tcb_status +
                         "` is not a TCB status");
  base::UniqueFd lock;
  if (options.read_only) {
    if (!base::path_exists(base::path_join(state_dir, "pki")))
      return base::Error(base::Category::not_found,
                         "sim TEE state `" + state_dir +
                             "` (read-only) has no PKI: open it read-write once to create it");
  } else {
    TRY_WRAP(make_private_dir(state_dir), "sim TEE state directory");
    // Everything below runs under the lock: one creator, and no reader sees a half-issued state.
    std::string lock_path = base::path_join(state_dir, "lock");
    lock.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!lock.valid()) return base::sys_error("open sim TEE lock `" + lock_path + "`");
    while (flock(lock.get(), LOCK_EX) != 0) {
      if (errno != EINTR) return base::sys_error("flock `" + lock_path + "`");
    }
    if (!base::path_exists(base::path_join(state_dir, "pki"))) {
      TRY_WRAP(create_pki(state_dir, now), "creating the sim TEE PKI in `" + state_dir + "`");
    }
  }
  ASSIGN_OR_RETURN(Pki pki, load_pki(state_dir));
  std::optional<int64_t> issued = current_issue(state_dir, now, options);
  if (!issued && options.read_only)
    return base::Error(base::Category::failed_precondition,
                       "sim TEE state `" + state_dir +
                           "` (read-only): its collateral must be re-issued (expired, not yet "
                           "valid or issued with other options); open it read-write once");
  if (!issued) {
    TRY_WRAP(issue_collateral(state_dir, pki, now, options),
             "issuing the sim TEE collateral in `" + state_dir + "`");
    issued = now;
  }

  auto st = std::make_shared<State>();
  st->dir = state_dir;
  ASSIGN_OR_RETURN(st->collateral,
                   load_collateral_json(base::path_join(state_dir, "collateral.json")));
  lock.reset();

  st->issued_at = *issued;
  st->root_pem = pki.pem[kRoot];
  st->platform_ca_pem = pki.pem[kPlatformCa];
  st->pck_pem = pki.pem[kPck];
  st->tcb_signing_pem = pki.pem[kTcbSigning];
  ASSIGN_OR_RETURN(st->root_key_sha256, crypto::spki_sha256(pki.cert[kRoot].get()));
  std::string chain = st->pck_pem + st->platform_ca_pem + st->root_pem;
  st->cert_data.assign(chain.begin(), chain.end());
  st->cert_data.push_back(0);
  ASSIGN_OR_RETURN(Bytes<32> pck_fp, crypto::spki_sha256(pki.cert[kPck].get()));
  std::copy_n(pck_fp.begin(), st->qe_id.size(), st->qe_id.begin());
  st->pck_key = std::move(pki.key[kPck]);
  ASSIGN_OR_RETURN(st->att_key, generate_p256());
  ASSIGN_OR_RETURN(st->att_key_xy, public_xy(st->att_key.get()));
  return SimTee(std::move(st));
}

const std::string& SimTee::state_dir() const {
  return s_->dir;
}
Collateral SimTee::collateral() const {
  return s_->collateral;
}
std::string SimTee::collateral_json_path() const {
  return base::path_join(s_->dir, "collateral.json");
}
Bytes<32> SimTee::root_key_sha256() const {
  return s_->root_key_sha256;
}
const std::string& SimTee::root_pem() const {
  return s_->root_pem;
}
const std::string& SimTee::platform_ca_pem() const {
  return s_->platform_ca_pem;
}
const std::string& SimTee::pck_pem() const {
  return s_->pck_pem;
}
const std::string& SimTee::tcb_signing_pem() const {
  return s_->tcb_signing_pem;
}
int64_t SimTee::issued_at() const {
  return s_->issued_at;
}

}  // namespace rats::sim
