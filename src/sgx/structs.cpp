#include "sgx/structs.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/encoding.h"
#include "base/le_load.h"

namespace sgx {

namespace {

using base::hex_encode;
using base::load_le16;
using base::load_le32;
using base::load_le64;

std::string hex_number(uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

// Named bits of a mask, "bit N" for the others.
std::vector<std::string> bit_names(uint64_t v,
                                   std::initializer_list<std::pair<int, const char*>> known) {
  std::vector<std::string> out;
  for (int bit = 0; bit < 64; ++bit) {
    if ((v >> bit & 1) == 0) continue;
    const char* name = nullptr;
    for (const auto& [b, n] : known) {
      if (b == bit) name = n;
    }
    out.push_back(name != nullptr ? name : "bit " + std::to_string(bit));
  }
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : "|") + n;
  return out;
}

using Layout = std::vector<FieldDef>;

void add(Layout& l, size_t offset, size_t size, std::string name, Format f) {
  l.push_back({offset, size, std::move(name), f});
}
void add_attributes(Layout& l, size_t offset, const std::string& name) {
  add(l, offset, 8, name + ".flags", Format::flags);
  add(l, offset + 8, 8, name + ".xfrm", Format::xfrm);
}
// `inner` at `offset` with `prefix.` before each name.
void nest(Layout& l, size_t offset, const std::string& prefix, const Layout& inner) {
  for (const FieldDef& f : inner)
    add(l, offset + f.offset, f.size, prefix + "." + f.name, f.format);
}

Layout sigstruct_layout() {
  Layout l;
  add(l, 0, 12, "header", Format::hex);
  add(l, 12, 4, "type", Format::u32);
  add(l, 16, 4, "vendor", Format::u32);
  add(l, 20, 4, "date", Format::bcd_date);
  add(l, 24, 16, "header2", Format::hex);
  add(l, 40, 4, "hw_version", Format::u32);
  add(l, 44, 84, "reserved", Format::reserved);
  add(l, 128, 384, "modulus", Format::integer_le);
  add(l, 512, 4, "exponent", Format::u32);
  add(l, 516, 384, "signature", Format::integer_le);
  add(l, 900, 4, "misc_select", Format::miscselect);
  add(l, 904, 4, "misc_mask", Format::miscselect);
  add(l, 908, 4, "reserved2", Format::reserved);
  add(l, 912, 16, "isv_family_id", Format::hex);
  add_attributes(l, 928, "attributes");
  add(l, 944, 8, "attribute_mask.flags", Format::flags);
  add(l, 952, 8, "attribute_mask.xfrm", Format::xfrm);
  add(l, 960, 32, "enclave_hash", Format::hex);
  add(l, 992, 16, "reserved3", Format::reserved);
  add(l, 1008, 16, "isvext_prod_id", Format::hex);
  add(l, 1024, 2, "isv_prod_id", Format::u16);
  add(l, 1026, 2, "isv_svn", Format::u16);
  add(l, 1028, 12, "reserved4", Format::reserved);
  add(l, 1040, 384, "q1", Format::integer_le);
  add(l, 1424, 384, "q2", Format::integer_le);
  return l;
}

Layout token_layout() {
  Layout l;
  add(l, 0, 4, "valid", Format::u32);
  add(l, 4, 44, "reserved1", Format::reserved);
  add_attributes(l, 48, "attributes");
  add(l, 64, 32, "mr_enclave", Format::hex);
  add(l, 96, 32, "reserved2", Format::reserved);
  add(l, 128, 32, "mr_signer", Format::hex);
  add(l, 160, 32, "reserved3", Format::reserved);
  add(l, 192, 16, "cpu_svn_le", Format::hex);
  add(l, 208, 2, "isv_prod_id_le", Format::u16);
  add(l, 210, 2, "isv_svn_le", Format::u16);
  add(l, 212, 24, "reserved4", Format::reserved);
  add(l, 236, 4, "masked_misc_select_le", Format::miscselect);
  add_attributes(l, 240, "attributes_le");
  add(l, 256, 32, "key_id", Format::hex);
  add(l, 288, 16, "mac", Format::hex);
  return l;
}

Layout targetinfo_layout() {
  Layout l;
  add(l, 0, 32, "mr_enclave", Format::hex);
  add_attributes(l, 32, "attributes");
  add(l, 48, 2, "reserved1", Format::reserved);
  add(l, 50, 2, "config_svn", Format::u16);
  add(l, 52, 4, "misc_select", Format::miscselect);
  add(l, 56, 8, "reserved2", Format::reserved);
  add(l, 64, 64, "config_id", Format::hex);
  add(l, 128, 384, "reserved3", Format::reserved);
  return l;
}

Layout report_layout() {
  Layout body;
  add(body, 0, 16, "cpu_svn", Format::hex);
  add(body, 16, 4, "misc_select", Format::miscselect);
  add(body, 20, 12, "reserved1", Format::reserved);
  add(body, 32, 16, "isv_ext_prod_id", Format::hex);
  add_attributes(body, 48, "attributes");
  add(body, 64, 32, "mr_enclave", Format::hex);
  add(body, 96, 32, "reserved2", Format::reserved);
  add(body, 128, 32, "mr_signer", Format::hex);
  add(body, 160, 32, "reserved3", Format::reserved);
  add(body, 192, 64, "config_id", Format::hex);
  add(body, 256, 2, "isv_prod_id", Format::u16);
  add(body, 258, 2, "isv_svn", Format::u16);
  add(body, 260, 2, "config_svn", Format::u16);
  add(body, 262, 42, "reserved4", Format::reserved);
  add(body, 304, 16, "isv_family_id", Format::hex);
  add(body, 320, 64, "report_data", Format::hex);
  Layout l;
  nest(l, 0, "body", body);
  add(l, 384, 32, "key_id", Format::hex);
  add(l, 416, 16, "mac", Format::hex);
  return l;
}

Layout keyid_layout() {
  Layout l;
  add(l, 0, 2, "id", Format::u16);
  add(l, 2, 2, "version", Format::u16);
  add(l, 4, 2, "mrsigner_length", Format::u16);
  add(l, 6, 48, "mrsigner", Format::hex);
  add(l, 54, 4, "prod_id", Format::u32);
  add(l, 58, 16, "extended_prod_id", Format::hex);
  add(l, 74, 64, "config_id", Format::hex);
  add(l, 138, 16, "family_id", Format::hex);
  add(l, 154, 4, "algorithm_id", Format::u32);
  add(l, 158, 16, "spid", Format::hex);
  add(l, 174, 2, "att_key_type", Format::u16);
  add(l, 176, 80, "reserved", Format::reserved);
  return l;
}

Layout qe_report_info_layout() {
  Layout l;
  add(l, 0, 16, "nonce", Format::hex);
  nest(l, 16, "app_enclave_target_info", targetinfo_layout());
  nest(l, 528, "qe_report", report_layout());
  return l;
}

constexpr uint8_t kHeader[12] = {0x06, 0, 0, 0, 0xe1, 0, 0, 0, 0, 0, 0x01, 0};
constexpr uint8_t kHeader2[16] = {0x01, 0x01, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 0x01, 0, 0, 0};

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
struct CtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};

Bn bn_le(std::span<const uint8_t> le) {
  return Bn(BN_lebin2bn(le.data(), static_cast<int>(le.size()), nullptr));
}

// Q1 and Q2 for signature S and modulus M, as 384-byte little-endian integers.
bool compute_q(const BIGNUM* s, const BIGNUM* m, uint8_t q1_out[384], uint8_t q2_out[384]) {
  std::unique_ptr<BN_CTX, CtxFree> ctx(BN_CTX_new());
  Bn s2(BN_new()), q1(BN_new()), r(BN_new()), sr(BN_new()), q2(BN_new()), r2(BN_new());
  if (!ctx || !s2 || !q1 || !r || !sr || !q2 || !r2) return false;
  // Q1 = floor(S^2 / M), r = S^2 mod M; Q2 = floor(S*r / M) = floor((S^3 - Q1*S*M) / M).
  if (BN_sqr(s2.get(), s, ctx.get()) != 1) return false;
  if (BN_div(q1.get(), r.get(), s2.get(), m, ctx.get()) != 1) return false;
  if (BN_mul(sr.get(), s, r.get(), ctx.get()) != 1) return false;
  if (BN_div(q2.get(), r2.get(), sr.get(), m, ctx.get()) != 1) return false;
  return BN_bn2lebinpad(q1.get(), q1_out, 384) == 384 &&
         BN_bn2lebinpad(q2.get(), q2_out, 384) == 384;
}

// The signed bytes: HEADER (0-127) then BODY (900-1027).
std::array<uint8_t, 256> signed_bytes(std::span<const uint8_t, kSigStructSize> css) {
  std::array<uint8_t, 256> out;
  memcpy(out.data(), css.data(), 128);
  memcpy(out.data() + 128, css.data() + 900, 128);
  return out;
}

}  // namespace

size_t struct_size(Struct s) {
  switch (s) {
    case Struct::sigstruct:
      return kSigStructSize;
    case Struct::token:
      return kTokenSize;
    case Struct::targetinfo:
      return kTargetInfoSize;
    case Struct::report:
      return kReportSize;
    case Struct::keyid:
      return kKeyIdSize;
    case Struct::qe_report_info:
      return kQeReportInfoSize;
  }
  return 0;
}

const char* struct_name(Struct s) {
  switch (s) {
    case Struct::sigstruct:
      return "sigstruct";
    case Struct::token:
      return "token";
    case Struct::targetinfo:
      return "targetinfo";
    case Struct::report:
      return "report";
    case Struct::keyid:
      return "keyid";
    case Struct::qe_report_info:
      return "qe-report-info";
  }
  return "?";
}

std::optional<Struct> struct_by_name(std::string_view name) {
  for (Struct s : {Struct::sigstruct, Struct::token, Struct::targetinfo, Struct::report,
                   Struct::keyid, Struct::qe_report_info}) {
    if (name == struct_name(s)) return s;
  }
  return std::nullopt;
}

std::optional<Struct> struct_by_size(size_t size) {
  for (Struct s : {Struct::sigstruct, Struct::token, Struct::targetinfo, Struct::report,
                   Struct::keyid, Struct::qe_report_info}) {
    if (size == struct_size(s)) return s;
  }
  return std::nullopt;
}

const std::vector<FieldDef>& layout(Struct s) {
  static const Layout kSig = sigstruct_layout(), kToken = token_layout(), kTi = targetinfo_layout(),
                      kReport = report_layout(), kKey = keyid_layout(),
                      kQri = qe_report_info_layout();
  switch (s) {
    case Struct::sigstruct:
      return kSig;
    case Struct::token:
      return kToken;
    case Struct::targetinfo:
      return kTi;
    case Struct::report:
      return kReport;
    case Struct::keyid:
      return kKey;
    case Struct::qe_report_info:
      return kQri;
  }
  return kSig;
}

std::vector<std::string> attribute_flag_names(uint64_t flags) {
  return bit_names(flags, {{0, "INIT"},
                           {1, "DEBUG"},
                           {2, "MODE64BIT"},
                           {4, "PROVISIONKEY"},
                           {5, "EINITTOKENKEY"},
                           {6, "CET"},
                           {7, "KSS"},
                           {10, "AEXNOTIFY"}});
}

std::vector<std::string> xfrm_names(uint64_t xfrm) {
  return bit_names(xfrm, {{0, "X87"},
                          {1, "SSE"},
                          {2, "AVX"},
                          {3, "BNDREGS"},
                          {4, "BNDCSR"},
                          {5, "OPMASK"},
                          {6, "ZMM_HI256"},
                          {7, "HI16_ZMM"},
                          {9, "PKRU"},
                          {17, "XTILECFG"},
                          {18, "XTILEDATA"}});
}

std::vector<std::string> miscselect_names(uint32_t misc) {
  return bit_names(misc, {{0, "EXINFO"}, {1, "CPINFO"}});
}

Shown show_field(const FieldDef& f, std::span<const uint8_t> whole) {
  Shown out{f.offset, f.size, f.name, {}, {}};
  const auto bytes = whole.subspan(f.offset, f.size);
  const uint8_t* p = bytes.data();
  auto with_names = [&](uint64_t v, int digits, const std::vector<std::string>& names) {
    out.value = hex_number(v, digits) + (names.empty() ? "" : " (" + joined(names) + ")");
    out.json = base::Json{{"value", v}, {"names", names}};
  };
  switch (f.format) {
    case Format::hex:
      out.value = hex_encode(bytes);
      out.json = out.value;
      break;
    case Format::u16:
      out.value = std::to_string(load_le16(p));
      out.json = load_le16(p);
      break;
    case Format::u32:
      out.value = std::to_string(load_le32(p)) + " (" + hex_number(load_le32(p), 8) + ")";
      out.json = load_le32(p);
      break;
    case Format::u64:
      out.value = hex_number(load_le64(p), 16);
      out.json = load_le64(p);
      break;
    case Format::flags:
      with_names(load_le64(p), 16, attribute_flag_names(load_le64(p)));
      break;
    case Format::xfrm:
      with_names(load_le64(p), 16, xfrm_names(load_le64(p)));
      break;
    case Format::miscselect:
      with_names(load_le32(p), 8, miscselect_names(load_le32(p)));
      break;
    case Format::bcd_date: {
      const uint32_t d = load_le32(p);
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04x-%02x-%02x", d >> 16, (d >> 8) & 0xff, d & 0xff);
      out.value = std::string(buf) + " (" + hex_number(d, 8) + ")";
      out.json = buf;
      break;
    }
    case Format::integer_le: {
      // Shown most significant byte first, as an integer is written.
      std::vector<uint8_t> be(bytes.rbegin(), bytes.rend());
      out.value = "0x" + hex_encode(be) + " (little-endian in the file)";
      out.json = hex_encode(be);
      break;
    }
    case Format::reserved: {
      const bool zero = std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
      out.value = zero ? "zero" : hex_encode(bytes) + " (not zero)";
      out.json = hex_encode(bytes);
      break;
    }
  }
  return out;
}

base::Result<std::vector<Shown>> show(Struct s, std::span<const uint8_t> data,
                                      std::string_view what) {
  if (data.size() != struct_size(s)) {
    return base::invalid(std::string(what) + ": " + std::to_string(data.size()) + " bytes, a " +
                         struct_name(s) + " is " + std::to_string(struct_size(s)));
  }
  std::vector<Shown> out;
  for (const FieldDef& f : layout(s)) out.push_back(show_field(f, data));
  return out;
}

// ---- SIGSTRUCT ----------------------------------------------------------------------------------

uint32_t SigStruct::type() const {
  return load_le32(raw.data() + 12);
}
uint32_t SigStruct::vendor() const {
  return load_le32(raw.data() + 16);
}
uint32_t SigStruct::date() const {
  return load_le32(raw.data() + 20);
}
uint32_t SigStruct::exponent() const {
  return load_le32(raw.data() + 512);
}
std::span<const uint8_t, kModulusSize> SigStruct::modulus() const {
  return std::span<const uint8_t, kModulusSize>(raw.data() + 128, kModulusSize);
}
std::span<const uint8_t, kModulusSize> SigStruct::signature() const {
  return std::span<const uint8_t, kModulusSize>(raw.data() + 516, kModulusSize);
}
std::span<const uint8_t, kModulusSize> SigStruct::q1() const {
  return std::span<const uint8_t, kModulusSize>(raw.data() + 1040, kModulusSize);
}
std::span<const uint8_t, kModulusSize> SigStruct::q2() const {
  return std::span<const uint8_t, kModulusSize>(raw.data() + 1424, kModulusSize);
}
std::span<const uint8_t, 32> SigStruct::enclave_hash() const {
  return std::span<const uint8_t, 32>(raw.data() + 960, 32);
}
std::span<const uint8_t, 16> SigStruct::attributes() const {
  return std::span<const uint8_t, 16>(raw.data() + 928, 16);
}
std::span<const uint8_t, 16> SigStruct::attribute_mask() const {
  return std::span<const uint8_t, 16>(raw.data() + 944, 16);
}
uint32_t SigStruct::misc_select() const {
  return load_le32(raw.data() + 900);
}
uint16_t SigStruct::isv_prod_id() const {
  return load_le16(raw.data() + 1024);
}
uint16_t SigStruct::isv_svn() const {
  return load_le16(raw.data() + 1026);
}

base::Result<SigStruct> parse_sigstruct(std::span<const uint8_t> data, std::string_view what) {
  const std::string w(what);
  if (data.size() != kSigStructSize) {
    return base::invalid(w + ": " + std::to_string(data.size()) + " bytes, a SIGSTRUCT is 1808");
  }
  auto expect = [&](size_t offset, std::span<const uint8_t> want,
                    const char* name) -> base::Status {
    if (memcmp(data.data() + offset, want.data(), want.size()) == 0) return {};
    return base::invalid(w + ": " + name + " at offset " + std::to_string(offset) + " is " +
                         hex_encode(data.subspan(offset, want.size())) + ", a SIGSTRUCT has " +
                         hex_encode(want));
  };
  TRY(expect(0, kHeader, "HEADER"));
  TRY(expect(24, kHeader2, "HEADER2"));
  const uint8_t three[4] = {3, 0, 0, 0};
  TRY(expect(512, three, "EXPONENT"));
  if ((load_le32(data.data() + 12) & 0x7fffffff) != 0) {
    return base::invalid(w + ": TYPE at offset 12 is " +
                         hex_number(load_le32(data.data() + 12), 8) +
                         ": only bit 31 (debug-signed) may be set");
  }
  for (const FieldDef& f : layout(Struct::sigstruct)) {
    if (f.format != Format::reserved) continue;
    auto b = data.subspan(f.offset, f.size);
    if (!std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; })) {
      return base::invalid(w + ": " + f.name + " at offset " + std::to_string(f.offset) +
                           " is not zero");
    }
  }
  SigStruct s;
  memcpy(s.raw.data(), data.data(), kSigStructSize);
  return s;
}

base::Status verify_sigstruct(const SigStruct& s, std::string_view what) {
  const std::string w(what);
  auto fail = [&](const std::string& m) { return base::invalid(w + ": " + m); };
  Bn n = bn_le(s.modulus()), sig = bn_le(s.signature()), e(BN_new());
  if (!n || !sig || !e || BN_set_word(e.get(), 3) != 1)
    return base::Error(base::Category::internal, "BIGNUM allocation failed");
  if (BN_num_bits(n.get()) != 3072) {
    return fail("MODULUS is a " + std::to_string(BN_num_bits(n.get())) +
                "-bit number, SIGSTRUCT signs with RSA-3072");
  }
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      OSSL_PARAM_BLD_free);
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return base::Error(base::Category::internal, "building an RSA key failed");
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                 OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> kctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw_key = nullptr;
  if (!params || !kctx || EVP_PKEY_fromdata_init(kctx.get()) != 1 ||
      EVP_PKEY_fromdata(kctx.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return fail("MODULUS is not an RSA public key");
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw_key, EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const auto msg = signed_bytes(std::span<const uint8_t, kSigStructSize>(s.raw));
  std::array<uint8_t, 384> sig_be;
  std::reverse_copy(s.signature().begin(), s.signature().end(), sig_be.begin());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestVerify(md.get(), sig_be.data(), sig_be.size(), msg.data(), msg.size()) != 1) {
    return fail(
        "signature: the RSA-3072 PKCS#1 v1.5 SHA-256 signature over HEADER and BODY "
        "does not verify with MODULUS");
  }
  uint8_t q1[384], q2[384];
  if (!compute_q(sig.get(), n.get(), q1, q2)) {
    return base::Error(base::Category::internal, "computing Q1 and Q2 failed");
  }
  if (memcmp(q1, s.q1().data(), 384) != 0) {
    return fail("Q1 at offset 1040 is not floor(SIGNATURE^2 / MODULUS)");
  }
  if (memcmp(q2, s.q2().data(), 384) != 0) {
    return fail("Q2 at offset 1424 is not floor((SIGNATURE^3 - Q1*SIGNATURE*MODULUS) / MODULUS)");
  }
  return {};
}

std::array<uint8_t, 32> mrsigner(std::span<const uint8_t, kModulusSize> modulus) {
  std::array<uint8_t, 32> out;
  SHA256(modulus.data(), modulus.size(), out.data());
  return out;
}

base::Status sign_sigstruct(std::span<uint8_t, kSigStructSize> css, EVP_PKEY* key) {
  auto internal = [](const char* m) { return base::Error(base::Category::internal, m); };
  BIGNUM* n_raw = nullptr;
  BIGNUM* e_raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n_raw) != 1 ||
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e_raw) != 1) {
    BN_free(n_raw);
    return base::invalid("the signing key is not an RSA key");
  }
  Bn n(n_raw), e(e_raw);
  if (BN_num_bits(n.get()) != 3072 || !BN_is_word(e.get(), 3)) {
    return base::invalid(
        "a SIGSTRUCT is signed with RSA-3072 and public exponent 3; this key has " +
        std::to_string(BN_num_bits(n.get())) + " bits");
  }
  if (BN_bn2lebinpad(n.get(), css.data() + 128, 384) != 384) return internal("BN_bn2lebinpad");
  const uint8_t three[4] = {3, 0, 0, 0};
  memcpy(css.data() + 512, three, 4);
  const auto msg = signed_bytes(std::span<const uint8_t, kSigStructSize>(css));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::array<uint8_t, 384> sig_be;
  size_t len = sig_be.size();
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(md.get(), sig_be.data(), &len, msg.data(), msg.size()) != 1 || len != 384) {
    return internal("RSA-3072 signing failed");
  }
  std::reverse_copy(sig_be.begin(), sig_be.end(), css.data() + 516);
  Bn s = bn_le(std::span<const uint8_t>(css.data() + 516, 384));
  if (!s || !compute_q(s.get(), n.get(), css.data() + 1040, css.data() + 1424)) {
    return internal("computing Q1 and Q2 failed");
  }
  return {};
}

std::array<uint8_t, kTargetInfoSize> target_info_of(std::span<const uint8_t, kReportSize> report) {
  std::array<uint8_t, kTargetInfoSize> ti{};
  memcpy(ti.data(), report.data() + 64, 32);        // MRENCLAVE
  memcpy(ti.data() + 32, report.data() + 48, 16);   // ATTRIBUTES
  memcpy(ti.data() + 50, report.data() + 260, 2);   // CONFIGSVN
  memcpy(ti.data() + 52, report.data() + 16, 4);    // MISCSELECT
  memcpy(ti.data() + 64, report.data() + 192, 64);  // CONFIGID
  return ti;
}

std::array<uint8_t, 64> qe_report_data(std::span<const uint8_t, 16> nonce,
                                       std::span<const uint8_t> quote) {
  std::vector<uint8_t> bound(nonce.begin(), nonce.end());
  bound.insert(bound.end(), quote.begin(), quote.end());
  std::array<uint8_t, 64> out{};
  SHA256(bound.data(), bound.size(), out.data());
  return out;
}

}  // namespace sgx
