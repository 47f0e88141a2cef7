#include "rats/verifiers/intel/pck_extensions.h"

#include <cstring>
#include <memory>
#include <string>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "rats/crypto/x509.h"

namespace rats::intel {

namespace {

constexpr std::string_view kSgxExtOid = "1.2.840.113741.1.13.1";

void free_sequence(ASN1_SEQUENCE_ANY* s) {
  sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free);
}
using SeqPtr = std::unique_ptr<ASN1_SEQUENCE_ANY, decltype(&free_sequence)>;

base::Result<SeqPtr> parse_sequence(const uint8_t* der, size_t len, const std::string& what) {
  const uint8_t* p = der;
  SeqPtr seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, static_cast<long>(len)), &free_sequence);
  if (!seq || p != der + len) {
    return base::invalid("PCK SGX extension: " + what + " is not a DER SEQUENCE");
  }
  return seq;
}

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0 && static_cast<size_t>(n) < sizeof buf ? std::string(buf, n) : std::string("?");
}

// The {OID, value} pairs of a SEQUENCE OF SEQUENCE {OID, ANY}; `visit(oid, value)` may fail.
template <class F>
base::Status for_each_pair(const uint8_t* der, size_t len, const std::string& what, F&& visit) {
  ASSIGN_OR_RETURN(SeqPtr outer, parse_sequence(der, len, what));
  for (int i = 0; i < sk_ASN1_TYPE_num(outer.get()); ++i) {
    const ASN1_TYPE* item = sk_ASN1_TYPE_value(outer.get(), i);
    if (item->type != V_ASN1_SEQUENCE) {
      return base::invalid("PCK SGX extension: entry " + std::to_string(i) + " of " + what +
                           " is not a SEQUENCE");
    }
    const ASN1_STRING* s = item->value.sequence;
    ASSIGN_OR_RETURN(SeqPtr pair, parse_sequence(ASN1_STRING_get0_data(s), ASN1_STRING_length(s),
                                                 "entry " + std::to_string(i) + " of " + what));
    if (sk_ASN1_TYPE_num(pair.get()) != 2 ||
        sk_ASN1_TYPE_value(pair.get(), 0)->type != V_ASN1_OBJECT) {
      return base::invalid("PCK SGX extension: entry " + std::to_string(i) + " of " + what +
                           " is not {OID, value}");
    }
    TRY(visit(oid_text(sk_ASN1_TYPE_value(pair.get(), 0)->value.object),
              sk_ASN1_TYPE_value(pair.get(), 1)));
  }
  return base::ok();
}

template <size_t N>
base::Status octets(const ASN1_TYPE* v, const std::string& field, Bytes<N>& out) {
  if (v->type != V_ASN1_OCTET_STRING || ASN1_STRING_length(v->value.octet_string) != int(N)) {
    return base::invalid("PCK SGX extension: " + field + " is not an OCTET STRING of " +
                         std::to_string(N) + " bytes");
  }
  std::memcpy(out.data(), ASN1_STRING_get0_data(v->value.octet_string), N);
  return base::ok();
}

base::Result<int64_t> integer(const ASN1_TYPE* v, const std::string& field, int type, int64_t max) {
  int64_t x = -1;
  int rc = 0;
  if (v->type == type && type == V_ASN1_INTEGER) rc = ASN1_INTEGER_get_int64(&x, v->value.integer);
  if (v->type == type && type == V_ASN1_ENUMERATED)
    rc = ASN1_ENUMERATED_get_int64(&x, v->value.enumerated);
  if (rc != 1 || x < 0 || x > max) {
    return base::invalid("PCK SGX extension: " + field + " is not an " +
                         (type == V_ASN1_INTEGER ? "INTEGER" : "ENUMERATED") + " from 0 to " +
                         std::to_string(max));
  }
  return x;
}

}  // namespace

base::Result<PckExtensions> parse_pck_extensions(const X509* pck) {
  ASSIGN_OR_RETURN(auto ext, crypto::extension_value(pck, kSgxExtOid));
  if (!ext)
    return base::invalid("PCK certificate has no SGX extension (" + std::string(kSgxExtOid) + ")");
  return parse_pck_extension_value(*ext);
}

base::Result<PckExtensions> parse_pck_extension_value(std::span<const uint8_t> der) {
  if (der.size() > 65536) return base::invalid("PCK SGX extension is larger than 64 KiB");
  PckExtensions out;
  const std::string root(kSgxExtOid);
  uint32_t seen = 0, tcb_seen = 0;  // bit per field
  auto once = [](uint32_t& mask, int bit, const std::string& field) -> base::Status {
    if (mask & (1u << bit)) return base::invalid("PCK SGX extension: " + field + " appears twice");
    mask |= 1u << bit;
    return base::ok();
  };
  TRY(for_each_pair(
      der.data(), der.size(), "the extension",
      [&](const std::string& oid, const ASN1_TYPE* v) -> base::Status {
        if (oid == root + ".1") {
          TRY(once(seen, 1, "PPID"));
          return octets(v, "PPID", out.ppid);
        }
        if (oid == root + ".2") {
          TRY(once(seen, 2, "TCB"));
          if (v->type != V_ASN1_SEQUENCE)
            return base::invalid("PCK SGX extension: TCB is not a SEQUENCE");
          const ASN1_STRING* s = v->value.sequence;
          return for_each_pair(
              ASN1_STRING_get0_data(s), ASN1_STRING_length(s), "TCB",
              [&](const std::string& tcb_oid, const ASN1_TYPE* tv) -> base::Status {
                const std::string prefix = root + ".2.";
                if (!tcb_oid.starts_with(prefix)) return base::ok();  // unknown entries are ignored
                int n = std::atoi(tcb_oid.c_str() + prefix.size());
                if (n >= 1 && n <= 16) {
                  std::string field = "TCB comp" + std::to_string(n) + " SVN";
                  TRY(once(tcb_seen, n, field));
                  ASSIGN_OR_RETURN(int64_t x, integer(tv, field, V_ASN1_INTEGER, 255));
                  out.comp_svn[n - 1] = static_cast<uint8_t>(x);
                } else if (n == 17) {
                  TRY(once(tcb_seen, 17, "PCESVN"));
                  ASSIGN_OR_RETURN(int64_t x, integer(tv, "PCESVN", V_ASN1_INTEGER, 65535));
                  out.pce_svn = static_cast<uint16_t>(x);
                } else if (n == 18) {
                  TRY(once(tcb_seen, 18, "CPUSVN"));
                  return octets(tv, "CPUSVN", out.cpu_svn);
                }
                return base::ok();
              });
        }
        if (oid == root + ".3") {
          TRY(once(seen, 3, "PCE-ID"));
          return octets(v, "PCE-ID", out.pce_id);
        }
        if (oid == root + ".4") {
          TRY(once(seen, 4, "FMSPC"));
          return octets(v, "FMSPC", out.fmspc);
        }
        if (oid == root + ".5") {
          TRY(once(seen, 5, "SGX type"));
          ASSIGN_OR_RETURN(int64_t x, integer(v, "SGX type", V_ASN1_ENUMERATED, 2));
          out.sgx_type = static_cast<int>(x);
        }
        return base::ok();  // .6 platform instance id, .7 configuration, unknown: not needed
      }));
  const char* names[] = {"", "PPID", "TCB", "PCE-ID", "FMSPC", "SGX type"};
  for (int bit = 1; bit <= 5; ++bit) {
    if (!(seen & (1u << bit)))
      return base::invalid(std::string("PCK SGX extension: ") + names[bit] + " is missing");
  }
  for (int n = 1; n <= 18; ++n) {
    if (!(tcb_seen & (1u << n)))
      return base::invalid("PCK SGX extension: TCB field " + root + ".2." + std::to_string(n) +
                           " is missing");
  }
  return out;
}

}  // namespace rats::intel
