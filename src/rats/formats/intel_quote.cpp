#include "rats/formats/intel_quote.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "base/encoding.h"
#include "rats/formats/reader.h"

namespace rats::formats {
namespace {

constexpr size_t kHeaderSize = kQuoteHeaderSize;

std::string hex_u32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

template <size_t N>
Bytes<N> copy_at(std::span<const uint8_t> b, size_t off) {
  Bytes<N> out;
  std::memcpy(out.data(), b.data() + off, N);
  return out;
}

IntelQuoteHeader decode_header(std::span<const uint8_t> b) {
  IntelQuoteHeader h;
  h.version = load_le16(b.data() + 0);
  h.att_key_type = load_le16(b.data() + 2);
  h.tee_type = load_le32(b.data() + 4);
  h.qe_svn = load_le16(b.data() + 8);
  h.pce_svn = load_le16(b.data() + 10);
  h.qe_vendor_id = copy_at<16>(b, 12);
  h.user_data = copy_at<20>(b, 28);
  return h;
}

// b.size() == kSgxReportBodySize (attestation-formats.md §2).
SgxReportBody decode_sgx_body(std::span<const uint8_t> b) {
  SgxReportBody r;
  r.cpu_svn = copy_at<16>(b, 0);
  r.misc_select = load_le32(b.data() + 16);
  r.isv_ext_prod_id = copy_at<16>(b, 32);
  r.attributes = copy_at<16>(b, 48);
  r.mr_enclave = copy_at<32>(b, 64);
  r.mr_signer = copy_at<32>(b, 128);
  r.config_id = copy_at<64>(b, 192);
  r.isv_prod_id = load_le16(b.data() + 256);
  r.isv_svn = load_le16(b.data() + 258);
  r.config_svn = load_le16(b.data() + 260);
  r.isv_family_id = copy_at<16>(b, 304);
  r.report_data = copy_at<64>(b, 320);
  return r;
}

// b.size() is kTdReportBody10Size or kTdReportBody15Size (attestation-formats.md §3).
TdReportBody decode_td_body(std::span<const uint8_t> b) {
  TdReportBody r;
  r.tee_tcb_svn = copy_at<16>(b, 0);
  r.mr_seam = copy_at<48>(b, 16);
  r.mr_signer_seam = copy_at<48>(b, 64);
  r.seam_attributes = copy_at<8>(b, 112);
  r.td_attributes = copy_at<8>(b, 120);
  r.xfam = copy_at<8>(b, 128);
  r.mr_td = copy_at<48>(b, 136);
  r.mr_config_id = copy_at<48>(b, 184);
  r.mr_owner = copy_at<48>(b, 232);
  r.mr_owner_config = copy_at<48>(b, 280);
  for (size_t i = 0; i < 4; ++i) r.rtmr[i] = copy_at<48>(b, 328 + 48 * i);
  r.report_data = copy_at<64>(b, 520);
  if (b.size() == kTdReportBody15Size) {
    r.td15 = true;
    r.tee_tcb_svn2 = copy_at<16>(b, 584);
    r.mr_service_td = copy_at<48>(b, 600);
  }
  return r;
}

// A region sized by a length field must hold exactly its fields.
base::Status expect_consumed(const Reader& region, std::string_view len_field, size_t len_offset,
                             size_t len) {
  if (region.empty()) return base::ok();
  return region.error("`" + std::string(len_field) + "` at offset " + std::to_string(len_offset) +
                      " says " + std::to_string(len) + " bytes but its contents end at offset " +
                      std::to_string(region.offset()) + ", leaving " +
                      std::to_string(region.remaining()) + " bytes unaccounted for");
}

bool known_cert_type(uint16_t t) {
  return t >= kCertDataPpidClear && t <= kCertDataPlatformManifest;
}

// QE report || QE report signature || u16 qe_auth_data_len || auth data || u16 type || u32 size ||
// data: the v3 signature data after the keys, and the contents of v4/v5 type-6 data.
// `prefix` names the nesting in messages ("" for v3, "inner_" inside type 6).
base::Status parse_qe_block(Reader& r, std::string_view prefix, IntelQuote& q) {
  q.qe_report_offset = r.offset();
  ASSIGN_OR_RETURN(auto qe, r.take("qe_report", kSgxReportBodySize));
  std::memcpy(q.sig.qe_report_raw.data(), qe.data(), kSgxReportBodySize);
  q.sig.qe_report = decode_sgx_body(qe);
  ASSIGN_OR_RETURN(auto qe_sig, r.take("qe_report_signature", 64));
  std::memcpy(q.sig.qe_report_signature.data(), qe_sig.data(), 64);

  size_t auth_len_off = r.offset();
  ASSIGN_OR_RETURN(uint16_t auth_len, r.u16("qe_auth_data_len"));
  q.qe_auth_data_offset = r.offset();
  ASSIGN_OR_RETURN(Reader auth, r.sized("qe_auth_data_len", auth_len_off, auth_len));
  ASSIGN_OR_RETURN(auto auth_bytes, auth.take("qe_auth_data", auth_len));
  q.sig.qe_auth_data.assign(auth_bytes.begin(), auth_bytes.end());

  std::string type_field = std::string(prefix) + "cert_data_type";
  std::string size_field = std::string(prefix) + "cert_data_size";
  size_t type_off = r.offset();
  ASSIGN_OR_RETURN(uint16_t type, r.u16(type_field));
  if (!known_cert_type(type) || type == kCertDataQeReport) {
    return r.error("unsupported `" + type_field + "` " + std::to_string(type) + " at offset " +
                   std::to_string(type_off) + " (expected 1-5 or 7" +
                   (prefix.empty() ? "; type 6 only wraps QE data in quote v4/v5)" : ")"));
  }
  q.sig.cert_data_type = type;
  size_t size_off = r.offset();
  ASSIGN_OR_RETURN(uint32_t size, r.u32(size_field));
  q.cert_data_offset = r.offset();
  ASSIGN_OR_RETURN(Reader cert, r.sized(size_field, size_off, size));
  ASSIGN_OR_RETURN(auto cert_bytes, cert.take("cert_data", size));
  q.sig.cert_data.assign(cert_bytes.begin(), cert_bytes.end());
  return base::ok();
}

base::Status parse_sig_data(Reader& sig, IntelQuote& q, size_t len_off) {
  ASSIGN_OR_RETURN(auto qsig, sig.take("quote_signature", 64));
  std::memcpy(q.sig.quote_signature.data(), qsig.data(), 64);
  ASSIGN_OR_RETURN(auto key, sig.take("attestation_key", 64));
  std::memcpy(q.sig.attestation_key.data(), key.data(), 64);

  if (q.header.version == 3) {
    TRY(parse_qe_block(sig, "", q));
    q.sig.outer_cert_data_type = q.sig.cert_data_type;
  } else {
    size_t type_off = sig.offset();
    ASSIGN_OR_RETURN(uint16_t type, sig.u16("cert_data_type"));
    if (type != kCertDataQeReport) {
      return sig.error("unsupported `cert_data_type` " + std::to_string(type) + " at offset " +
                       std::to_string(type_off) + " (quote v" + std::to_string(q.header.version) +
                       " needs 6, QE report certification data)");
    }
    q.sig.outer_cert_data_type = type;
    size_t size_off = sig.offset();
    ASSIGN_OR_RETURN(uint32_t size, sig.u32("cert_data_size"));
    ASSIGN_OR_RETURN(Reader outer, sig.sized("cert_data_size", size_off, size));
    TRY(parse_qe_block(outer, "inner_", q));
    TRY(expect_consumed(outer, "cert_data_size", size_off, size));
  }
  return expect_consumed(sig, "sig_data_len", len_off, q.sig_data_len);
}

// Body type and size from the header (v3/v4) or the v5 descriptor.
base::Status parse_body_descriptor(Reader& r, IntelQuote& q, size_t& body_size) {
  const IntelQuoteHeader& h = q.header;
  if (h.version != 5) {
    q.body_type = q.tee == Tee::tdx ? kBodyTypeTd10 : kBodyTypeSgx;
    body_size = q.tee == Tee::tdx ? kTdReportBody10Size : kSgxReportBodySize;
    return base::ok();
  }
  size_t type_off = r.offset();
  ASSIGN_OR_RETURN(q.body_type, r.u16("body_type"));
  size_t expected = 0;
  switch (q.body_type) {
    case kBodyTypeSgx:
      expected = kSgxReportBodySize;
      break;
    case kBodyTypeTd10:
      expected = kTdReportBody10Size;
      break;
    case kBodyTypeTd15:
      expected = kTdReportBody15Size;
      break;
    default:
      return r.error("unsupported `body_type` " + std::to_string(q.body_type) + " at offset " +
                     std::to_string(type_off) +
                     " (expected 1 SGX report, 2 TD report 1.0 or 3 TD report 1.5)");
  }
  bool body_is_td = q.body_type != kBodyTypeSgx;
  if (body_is_td != (q.tee == Tee::tdx)) {
    return r.error("`body_type` " + std::to_string(q.body_type) + " at offset " +
                   std::to_string(type_off) + " does not match `tee_type` " + hex_u32(h.tee_type) +
                   " at offset 4");
  }
  size_t size_off = r.offset();
  ASSIGN_OR_RETURN(uint32_t size, r.u32("body_size"));
  if (size != expected) {
    return r.error("`body_size` at offset " + std::to_string(size_off) + " says " +
                   std::to_string(size) + " bytes but body type " + std::to_string(q.body_type) +
                   " is " + std::to_string(expected) + " bytes");
  }
  body_size = size;
  return base::ok();
}

base::Status check_header(const Reader& r, IntelQuote& q) {
  const IntelQuoteHeader& h = q.header;
  if (h.version < 3 || h.version > 5) {
    return r.error("unsupported `version` " + std::to_string(h.version) +
                   " at offset 0 (expected 3, 4 or 5)");
  }
  if (h.att_key_type != kAttKeyTypeEcdsaP256) {
    return r.error("unsupported `att_key_type` " + std::to_string(h.att_key_type) +
                   " at offset 2 (only 2, ECDSA-256-with-P-256)");
  }
  if (h.tee_type == kTeeTypeSgx) {
    q.tee = Tee::sgx;
  } else if (h.tee_type == kTeeTypeTdx && h.version >= 4) {
    q.tee = Tee::tdx;
  } else {
    return r.error("unsupported `tee_type` " + hex_u32(h.tee_type) + " at offset 4 (quote v" +
                   std::to_string(h.version) +
                   (h.version == 3 ? ": reserved, must be 0)" : ": expected 0 SGX or 0x81 TDX)"));
  }
  return base::ok();
}

}  // namespace

base::Result<IntelQuote> parse_intel_quote(std::span<const uint8_t> data) {
  Reader r(data, "quote");
  if (data.size() > kMaxEvidenceSize) {
    return r.error(std::to_string(data.size()) + " bytes is over the " +
                   std::to_string(kMaxEvidenceSize) + "-byte limit for evidence");
  }
  IntelQuote q;
  ASSIGN_OR_RETURN(auto header, r.take("header", kHeaderSize));
  q.header = decode_header(header);
  TRY(check_header(r, q));

  size_t body_size = 0;
  TRY(parse_body_descriptor(r, q, body_size));
  q.body_offset = r.offset();
  if (q.body_type == kBodyTypeSgx) {
    ASSIGN_OR_RETURN(auto body, r.take("sgx_report_body", body_size));
    q.body = decode_sgx_body(body);
  } else {
    ASSIGN_OR_RETURN(auto body, r.take("td_report_body", body_size));
    q.body = decode_td_body(body);
  }
  q.signed_len = r.offset();

  size_t len_off = r.offset();
  ASSIGN_OR_RETURN(uint32_t sig_len, r.u32("sig_data_len"));
  q.sig_data_offset = r.offset();
  q.sig_data_len = sig_len;
  ASSIGN_OR_RETURN(Reader sig, r.sized("sig_data_len", len_off, sig_len));
  TRY(parse_sig_data(sig, q, len_off));
  q.quote_len = r.offset();
  q.trailing_bytes = r.remaining();
  return q;
}

namespace {

template <size_t N>
std::string hex(const Bytes<N>& b) {
  return base::hex_encode(b.data(), N);
}

void add_sgx_claims(const SgxReportBody& b, nlohmann::json& j) {
  j["mrenclave"] = hex(b.mr_enclave);
  j["mrsigner"] = hex(b.mr_signer);
  j["isv_prod_id"] = b.isv_prod_id;
  j["isv_svn"] = b.isv_svn;
  j["debug"] = b.debug();
  j["attributes"] = hex(b.attributes);
  j["misc_select"] = b.misc_select;
  j["cpu_svn"] = hex(b.cpu_svn);
  j["config_id"] = hex(b.config_id);
  j["config_svn"] = b.config_svn;
  j["isv_ext_prod_id"] = hex(b.isv_ext_prod_id);
  j["isv_family_id"] = hex(b.isv_family_id);
  j["report_data"] = hex(b.report_data);
}

void add_td_claims(const TdReportBody& b, nlohmann::json& j) {
  j["mrtd"] = hex(b.mr_td);
  for (size_t i = 0; i < b.rtmr.size(); ++i) j["rtmr" + std::to_string(i)] = hex(b.rtmr[i]);
  j["mrconfigid"] = hex(b.mr_config_id);
  j["mrowner"] = hex(b.mr_owner);
  j["mrownerconfig"] = hex(b.mr_owner_config);
  j["td_attributes"] = hex(b.td_attributes);
  j["debug"] = b.debug();
  j["xfam"] = hex(b.xfam);
  j["tee_tcb_svn"] = hex(b.tee_tcb_svn);
  j["mrseam"] = hex(b.mr_seam);
  j["mrsignerseam"] = hex(b.mr_signer_seam);
  j["seam_attributes"] = hex(b.seam_attributes);
  j["report_data"] = hex(b.report_data);
  if (b.td15) {
    j["tee_tcb_svn2"] = hex(b.tee_tcb_svn2);
    j["mrservicetd"] = hex(b.mr_service_td);
  }
}

}  // namespace

nlohmann::json claims_json(const IntelQuote& q) {
  nlohmann::json j = nlohmann::json::object();
  j["tee"] = std::string(tee_name(q.tee));
  j["quote_version"] = q.header.version;
  j["qe_svn"] = q.header.qe_svn;
  j["pce_svn"] = q.header.pce_svn;
  j["qe_vendor_id"] = hex(q.header.qe_vendor_id);
  if (const auto* sgx = q.sgx_body()) add_sgx_claims(*sgx, j);
  if (const auto* td = q.td_body()) add_td_claims(*td, j);
  j["qe_isv_svn"] = q.sig.qe_report.isv_svn;
  j["cert_data_type"] = q.sig.cert_data_type;
  return j;
}

}  // namespace rats::formats
