// dump: every field of an SGX structure or an Intel DCAP quote with its offset, size, name and
// value. Quotes are walked field by field with the formats/reader cursor, so a malformed one
// prints what parsed, then the field and offset where it broke (exit 2).
#include <cstdio>
#include <memory>

#include "base/encoding.h"
#include "rats/crypto/ecdsa.h"
#include "rats/evidence.h"
#include "rats/formats/intel_quote.h"
#include "rats/formats/reader.h"
#include "rats/verifiers/intel/pck_extensions.h"
#include "sgx/structs.h"
#include "sgx_tools/common.h"
#include "sgx_tools/dump.h"
#include "sgx_tools/print.h"
#include "sgx_tools/tools.h"

namespace sgx_tools {

namespace {

const char* kCmd = "dump";

const char* cert_type_name(uint16_t t) {
  switch (t) {
    case 1:
      return "PPID in clear text";
    case 2:
      return "PPID encrypted with RSA-2048-OAEP";
    case 3:
      return "PPID encrypted with RSA-3072-OAEP";
    case 4:
      return "PCK certificate in clear text (DER)";
    case 5:
      return "PCK certificate chain (PEM)";
    case 6:
      return "QE report certification data";
    case 7:
      return "platform manifest";
    default:
      return "unknown";
  }
}

// The fields of a quote as they are walked; an error stops the walk.
class Walk {
 public:
  void add(size_t offset, size_t size, std::string name, std::string value, base::Json json) {
    fields_.push_back({offset, size, std::move(name), std::move(value), std::move(json)});
  }
  base::Result<std::span<const uint8_t>> bytes(rats::formats::Reader& r, const std::string& name,
                                               size_t n) {
    const size_t at = r.offset();
    ASSIGN_OR_RETURN(auto b, r.take(name, n));
    add(at, n, name, base::hex_encode(b), base::hex_encode(b));
    return b;
  }
  base::Result<uint16_t> u16(rats::formats::Reader& r, const std::string& name) {
    const size_t at = r.offset();
    ASSIGN_OR_RETURN(uint16_t v, r.u16(name));
    add(at, 2, name, std::to_string(v), v);
    return v;
  }
  base::Result<uint32_t> u32(rats::formats::Reader& r, const std::string& name) {
    const size_t at = r.offset();
    ASSIGN_OR_RETURN(uint32_t v, r.u32(name));
    add(at, 4, name, std::to_string(v), v);
    return v;
  }
  // A 384-byte SGX report body at the reader's position (the REPORT layout's `body.` fields),
  // names prefixed with `prefix`.
  base::Status report_body(rats::formats::Reader& r, const std::string& prefix) {
    const size_t at = r.offset();
    ASSIGN_OR_RETURN(auto b, r.take(prefix, sgx::kReportBodySize));
    const std::string body = "body.";
    for (const sgx::FieldDef& f : sgx::layout(sgx::Struct::report)) {
      if (f.name.rfind(body, 0) != 0) continue;
      sgx::FieldDef local = f;
      local.name = prefix + f.name.substr(body.size());
      auto shown = sgx::show_field(local, b);
      shown.offset += at;
      fields_.push_back(std::move(shown));
    }
    return {};
  }
  std::vector<sgx::Shown>& fields() { return fields_; }
  void note(std::string n) { notes_.push_back(std::move(n)); }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  std::vector<sgx::Shown> fields_;
  std::vector<std::string> notes_;
};

// TD report body fields (attestation-formats.md §3): name, size.
const std::pair<const char*, size_t> kTdBody[] = {
    {"tee_tcb_svn", 16},     {"mr_seam", 48},      {"mr_signer_seam", 48},
    {"seam_attributes", 8},  {"td_attributes", 8}, {"xfam", 8},
    {"mr_td", 48},           {"mr_config_id", 48}, {"mr_owner", 48},
    {"mr_owner_config", 48}, {"rtmr0", 48},        {"rtmr1", 48},
    {"rtmr2", 48},           {"rtmr3", 48},        {"report_data", 64}};

// The PCK certificate's SGX extension: FMSPC, PCE ID, TCB.
base::Status pck_fields(Walk& w, std::span<const uint8_t> pem, size_t at, const std::string& from) {
  auto cert = rats::crypto::parse_certificate(pem);
  if (!cert.ok()) return std::move(cert).error().wrap(from);
  ASSIGN_OR_RETURN(auto ext, rats::intel::parse_pck_extensions(cert->get()));
  std::string comps;
  for (uint8_t c : ext.comp_svn) comps += (comps.empty() ? "" : ",") + std::to_string(c);
  const std::string src = " (" + from + ")";
  w.add(at, 0, "pck.fmspc", base::hex_encode(ext.fmspc) + src, base::hex_encode(ext.fmspc));
  w.add(at, 0, "pck.pce_id", base::hex_encode(ext.pce_id) + src, base::hex_encode(ext.pce_id));
  w.add(at, 0, "pck.tcb.comp_svn", comps + src, ext.comp_svn);
  w.add(at, 0, "pck.tcb.pce_svn", std::to_string(ext.pce_svn) + src, ext.pce_svn);
  w.add(at, 0, "pck.tcb.cpu_svn", base::hex_encode(ext.cpu_svn) + src,
        base::hex_encode(ext.cpu_svn));
  const char* types[] = {"Standard", "Scalable", "ScalableWithIntegrity"};
  w.add(at, 0, "pck.sgx_type",
        std::to_string(ext.sgx_type) + " (" +
            (ext.sgx_type >= 0 && ext.sgx_type <= 2 ? types[ext.sgx_type] : "unknown") + ")" + src,
        ext.sgx_type);
  return {};
}

// Certification data of `type` (`size` bytes) at the reader.
base::Status cert_data(Walk& w, rats::formats::Reader& r, uint16_t type, uint32_t size,
                       const std::string& prefix, const DumpOptions& o) {
  const size_t at = r.offset();
  ASSIGN_OR_RETURN(auto body, r.take(prefix + "data", size));
  if (type == 5) {
    size_t certs = 0;
    const std::string text(body.begin(), body.end());
    for (size_t p = 0; (p = text.find("-----BEGIN CERTIFICATE-----", p)) != std::string::npos; ++p)
      ++certs;
    w.add(at, size, prefix + "data", std::to_string(certs) + " PEM certificates", text);
    auto pck = pck_fields(w, body, at, "the chain's first certificate");
    if (!pck.ok()) w.note("PCK extension: " + pck.error().message());
    return {};
  }
  w.add(at, size, prefix + "data", base::hex_encode(body), base::hex_encode(body));
  if (type >= 1 && type <= 3) {
    if (o.pck_cert.empty()) {
      w.note("certification data type " + std::to_string(type) +
             " holds no certificate: give --pck-cert FILE for the FMSPC");
    } else {
      auto pem = read_bytes(o.pck_cert, 1 << 20);
      if (!pem.ok()) return std::move(pem).error().wrap("`--pck-cert`");
      TRY(pck_fields(w, *pem, at, "--pck-cert " + o.pck_cert));
    }
  }
  return {};
}

// The quote's fields in order; the error (if any) of the first one that does not parse.
base::Status walk_quote(Walk& w, std::span<const uint8_t> data, const DumpOptions& o) {
  rats::formats::Reader r(data, "quote");
  ASSIGN_OR_RETURN(uint16_t version, w.u16(r, "header.version"));
  TRY(w.u16(r, "header.att_key_type"));
  ASSIGN_OR_RETURN(uint32_t tee, w.u32(r, "header.tee_type"));
  TRY(w.u16(r, "header.qe_svn"));
  TRY(w.u16(r, "header.pce_svn"));
  TRY(w.bytes(r, "header.qe_vendor_id", 16));
  TRY(w.bytes(r, "header.user_data", 20));
  if (version < 3 || version > 5)
    return r.error("header.version " + std::to_string(version) + " is not 3, 4 or 5");
  size_t body_size = tee == 0x81 ? 584 : 384;
  if (version == 5) {
    TRY(w.u16(r, "body_descriptor.type"));
    ASSIGN_OR_RETURN(body_size, w.u32(r, "body_descriptor.size"));
  }
  if (tee == 0x81) {
    const size_t at = r.offset();
    ASSIGN_OR_RETURN(auto b, r.take("td body", body_size));
    size_t off = 0;
    for (const auto& [name, n] : kTdBody) {
      if (off + n > b.size()) break;
      auto f = b.subspan(off, n);
      w.add(at + off, n, std::string("body.") + name, base::hex_encode(f), base::hex_encode(f));
      off += n;
    }
    if (body_size == 648) {
      w.add(at + 584, 16, "body.tee_tcb_svn2", base::hex_encode(b.subspan(584, 16)),
            base::hex_encode(b.subspan(584, 16)));
      w.add(at + 600, 48, "body.mr_service_td", base::hex_encode(b.subspan(600, 48)),
            base::hex_encode(b.subspan(600, 48)));
    }
  } else {
    TRY(w.report_body(r, "body."));
  }
  ASSIGN_OR_RETURN(uint32_t sig_len, w.u32(r, "signature_data_len"));
  ASSIGN_OR_RETURN(auto sig_reader, r.sized("signature_data_len", r.offset() - 4, sig_len));
  TRY(w.bytes(sig_reader, "signature.quote_signature", 64));
  TRY(w.bytes(sig_reader, "signature.attestation_key", 64));
  rats::formats::Reader* qe = &sig_reader;
  std::optional<rats::formats::Reader> inner;
  std::string prefix = "signature.";
  if (version >= 4) {
    ASSIGN_OR_RETURN(uint16_t outer_type, w.u16(sig_reader, "signature.cert_data_type"));
    w.fields().back().value += std::string(" (") + cert_type_name(outer_type) + ")";
    ASSIGN_OR_RETURN(uint32_t outer_size, w.u32(sig_reader, "signature.cert_data_size"));
    if (outer_type != 6) {
      TRY(cert_data(w, sig_reader, outer_type, outer_size, "signature.cert_", o));
      return {};
    }
    ASSIGN_OR_RETURN(
        inner, sig_reader.sized("signature.cert_data_size", sig_reader.offset() - 4, outer_size));
    qe = &*inner;
    prefix = "signature.qe_cert_data.";
  }
  TRY(w.report_body(*qe, prefix + "qe_report."));
  TRY(w.bytes(*qe, prefix + "qe_report_signature", 64));
  ASSIGN_OR_RETURN(uint16_t auth_len, w.u16(*qe, prefix + "qe_auth_data_len"));
  TRY(w.bytes(*qe, prefix + "qe_auth_data", auth_len));
  ASSIGN_OR_RETURN(uint16_t type, w.u16(*qe, prefix + "cert_data_type"));
  w.fields().back().value += std::string(" (") + cert_type_name(type) + ")";
  ASSIGN_OR_RETURN(uint32_t size, w.u32(*qe, prefix + "cert_data_size"));
  TRY(cert_data(w, *qe, type, size, prefix + "cert_", o));
  const size_t end = sig_reader.offset() + sig_reader.remaining();
  if (end < data.size()) {
    w.note(std::to_string(data.size() - end) + " bytes after the quote's end (offset " +
           std::to_string(end) + "), not part of it");
  }
  return {};
}

}  // namespace

QuoteDump dump_quote(std::span<const uint8_t> data, const DumpOptions& o) {
  Walk w;
  QuoteDump out;
  auto st = walk_quote(w, data, o);
  if (!st.ok()) out.error = st.error();
  out.fields = std::move(w.fields());
  out.notes = w.notes();
  return out;
}

int dump(const Global& g, const DumpOptions& o) {
  if (o.file.empty()) return fail(kCmd, base::invalid("a FILE to dump is required"));
  ASSIGN_OR_FAIL(kCmd, auto data, read_bytes(o.file, rats::kMaxEvidenceSize));
  std::optional<sgx::Struct> s;
  if (o.type == "auto") {
    s = sgx::struct_by_size(data.size());
  } else if (o.type != "quote") {
    s = sgx::struct_by_name(o.type);
    if (!s) {
      return fail(kCmd,
                  base::invalid("`--type` must be auto, quote, report, targetinfo, sigstruct, "
                                "token, keyid or qe-report-info, not `" +
                                o.type + "`"));
    }
  }
  std::vector<sgx::Shown> fields;
  std::vector<std::string> notes;
  std::optional<base::Error> error;
  std::string kind;
  if (s) {
    kind = sgx::struct_name(*s);
    auto shown = sgx::show(*s, data, "`" + o.file + "`");
    if (!shown.ok()) return fail(kCmd, shown.error());
    fields = std::move(shown).value();
  } else {
    kind = "quote";
    QuoteDump q = dump_quote(data, o);
    fields = std::move(q.fields);
    notes = std::move(q.notes);
    error = std::move(q.error);
  }
  if (g.json) {
    base::Json j{
        {"file", o.file}, {"type", kind}, {"size", data.size()}, {"fields", fields_json(fields)}};
    if (!notes.empty()) j["notes"] = notes;
    if (error) j["error"] = error->what();
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s: %s, %zu bytes\n", o.file.c_str(), kind.c_str(), data.size());
    std::printf("  %6s %5s  %-40s %s\n", "offset", "size", "field", "value");
    print_fields(stdout, fields);
    for (const auto& n : notes) std::printf("note: %s\n", n.c_str());
  }
  if (error) return fail(kCmd, error->wrap("`" + o.file + "`"), 2);
  return 0;
}

}  // namespace sgx_tools
