#include "rats/verifiers/intel/collateral_json.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <nlohmann/json.hpp>

#include "base/encoding.h"

namespace rats::intel {

namespace {

using json = nlohmann::json;

size_t skip_ws(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

// Index one past the JSON string starting at t[i] == '"', or npos.
size_t skip_string(std::string_view t, size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\') {
      ++i;
    } else if (t[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Index one past the JSON value starting at t[i], or npos. Containers are matched by depth.
size_t skip_value(std::string_view t, size_t i) {
  if (i >= t.size()) return std::string_view::npos;
  if (t[i] == '"') return skip_string(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    for (; i < t.size(); ++i) {
      char c = t[i];
      if (c == '"') {
        i = skip_string(t, i);
        if (i == std::string_view::npos) return i;
        --i;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return std::string_view::npos;
  }
  while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && !std::isspace(uint8_t(t[i])))
    ++i;
  return i;
}

// Typed access with the JSON path in every error.
class Reader {
 public:
  Reader(std::string doc) : doc_(std::move(doc)) {}

  base::Error error(const std::string& path, const std::string& what) const {
    return base::invalid(doc_ + ": `" + path + "` " + what);
  }

  base::Result<const json*> member(const json& obj, const std::string& path, const char* key,
                                   bool required = true) const {
    if (!obj.is_object()) return error(path, "is not an object");
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (!required) return static_cast<const json*>(nullptr);
      return error(path + "." + key, "is missing");
    }
    return &*it;
  }

  base::Result<uint64_t> uint(const json& obj, const std::string& path, const char* key,
                              uint64_t max) const {
    ASSIGN_OR_RETURN(const json* v, member(obj, path, key));
    if (!v->is_number_unsigned() || v->get<uint64_t>() > max)
      return error(path + "." + key, "must be an integer from 0 to " + std::to_string(max));
    return v->get<uint64_t>();
  }

  base::Result<std::string> string(const json& obj, const std::string& path,
                                   const char* key) const {
    ASSIGN_OR_RETURN(const json* v, member(obj, path, key));
    if (!v->is_string()) return error(path + "." + key, "must be a string");
    return v->get<std::string>();
  }

  template <size_t N>
  base::Result<Bytes<N>> hex(const json& obj, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(std::string s, string(obj, path, key));
    auto bytes = base::hex_decode(s);
    if (!bytes || bytes->size() != N)
      return error(path + "." + key,
                   "must be " + std::to_string(N) + " bytes of hex, not `" + s + "`");
    Bytes<N> out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
  }

  base::Result<int64_t> time(const json& obj, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(std::string s, string(obj, path, key));
    auto t = parse_iso8601(s);
    if (!t) return error(path + "." + key, "is not an ISO 8601 UTC time: `" + s + "`");
    return *t;
  }

  base::Result<TcbStatus> status(const json& obj, const std::string& path) const {
    ASSIGN_OR_RETURN(std::string s, string(obj, path, "tcbStatus"));
    auto st = parse_tcb_status(s);
    if (!st) return error(path + ".tcbStatus", "is not a known TCB status: `" + s + "`");
    return *st;
  }

  base::Result<std::vector<std::string>> advisories(const json& obj,
                                                    const std::string& path) const {
    ASSIGN_OR_RETURN(const json* v, member(obj, path, "advisoryIDs", false));
    std::vector<std::string> out;
    if (v == nullptr) return out;
    if (!v->is_array()) return error(path + ".advisoryIDs", "must be a list of strings");
    for (const auto& a : *v) {
      if (!a.is_string()) return error(path + ".advisoryIDs", "must be a list of strings");
      out.push_back(a.get<std::string>());
    }
    return out;
  }

  base::Result<const json*> array(const json& obj, const std::string& path, const char* key,
                                  bool required = true) const {
    ASSIGN_OR_RETURN(const json* v, member(obj, path, key, required));
    if (v != nullptr && !v->is_array()) return error(path + "." + key, "must be a list");
    return v;
  }

  // 16 SVNs from a v3 components array [{"svn": n, ...} x16].
  base::Result<std::array<uint8_t, 16>> components(const json& obj, const std::string& path,
                                                   const char* key) const {
    ASSIGN_OR_RETURN(const json* arr, array(obj, path, key));
    std::string p = path + "." + key;
    if (arr->size() != 16)
      return error(p, "must have 16 entries, not " + std::to_string(arr->size()));
    std::array<uint8_t, 16> out{};
    for (size_t i = 0; i < 16; ++i) {
      ASSIGN_OR_RETURN(uint64_t svn,
                       uint((*arr)[i], p + "[" + std::to_string(i) + "]", "svn", 255));
      out[i] = static_cast<uint8_t>(svn);
    }
    return out;
  }

  base::Result<std::vector<IsvLevel>> isv_levels(const json& obj, const std::string& path) const {
    ASSIGN_OR_RETURN(const json* arr, array(obj, path, "tcbLevels"));
    std::vector<IsvLevel> out;
    for (size_t i = 0; i < arr->size(); ++i) {
      std::string p = path + ".tcbLevels[" + std::to_string(i) + "]";
      const json& level = (*arr)[i];
      ASSIGN_OR_RETURN(const json* tcb, member(level, p, "tcb"));
      IsvLevel l;
      ASSIGN_OR_RETURN(uint64_t svn, uint(*tcb, p + ".tcb", "isvsvn", 65535));
      l.isv_svn = static_cast<uint16_t>(svn);
      ASSIGN_OR_RETURN(l.status, status(level, p));
      ASSIGN_OR_RETURN(l.advisory_ids, advisories(level, p));
      out.push_back(std::move(l));
    }
    return out;
  }

 private:
  std::string doc_;
};

// Splits {"<inner>": {...}, "signature": "hex"} into the inner value's exact bytes, the parsed
// inner value and the signature.
template <class T>
base::Result<json> split_signed(std::string_view text, const char* inner, const char* doc,
                                SignedDocument<T>& out) {
  json whole = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (whole.is_discarded()) return base::invalid(std::string(doc) + " is not valid JSON");
  if (!whole.is_object()) return base::invalid(std::string(doc) + " is not a JSON object");
  auto raw = raw_member(text, inner);
  if (!raw) return base::invalid(std::string(doc) + ": `" + inner + "` is missing");
  out.signed_bytes.assign(raw->data(), raw->size());
  Reader r(doc);
  ASSIGN_OR_RETURN(out.signature, r.hex<64>(whole, "", "signature"));
  return whole[inner];
}

base::Result<TdxModule> tdx_module(const Reader& r, const json& obj, const std::string& path,
                                   bool identity) {
  TdxModule m;
  if (identity) {
    ASSIGN_OR_RETURN(m.id, r.string(obj, path, "id"));
    ASSIGN_OR_RETURN(m.levels, r.isv_levels(obj, path));
  }
  ASSIGN_OR_RETURN(m.mrsigner, r.hex<48>(obj, path, "mrsigner"));
  ASSIGN_OR_RETURN(m.attributes, r.hex<8>(obj, path, "attributes"));
  ASSIGN_OR_RETURN(m.attributes_mask, r.hex<8>(obj, path, "attributesMask"));
  return m;
}

base::Result<TcbInfo> tcb_info_body(const json& t) {
  Reader r("tcb_info");
  const std::string p = "tcbInfo";
  TcbInfo info;
  ASSIGN_OR_RETURN(uint64_t version, r.uint(t, p, "version", 1000));
  info.version = static_cast<int>(version);
  if (info.version != 2 && info.version != 3)
    return r.error(p + ".version",
                   "is " + std::to_string(version) + "; only 2 and 3 are supported");
  if (info.version == 3) {
    ASSIGN_OR_RETURN(info.id, r.string(t, p, "id"));
  }
  ASSIGN_OR_RETURN(info.issue_date, r.time(t, p, "issueDate"));
  ASSIGN_OR_RETURN(info.next_update, r.time(t, p, "nextUpdate"));
  ASSIGN_OR_RETURN(info.fmspc, r.hex<6>(t, p, "fmspc"));
  ASSIGN_OR_RETURN(info.pce_id, r.hex<2>(t, p, "pceId"));
  ASSIGN_OR_RETURN(uint64_t tcb_type, r.uint(t, p, "tcbType", 255));
  info.tcb_type = static_cast<int>(tcb_type);
  ASSIGN_OR_RETURN(uint64_t eval, r.uint(t, p, "tcbEvaluationDataNumber", UINT32_MAX));
  info.tcb_evaluation_data_number = static_cast<uint32_t>(eval);
  bool tdx = info.id == "TDX";
  if (tdx) {
    ASSIGN_OR_RETURN(const json* m, r.member(t, p, "tdxModule"));
    ASSIGN_OR_RETURN(info.tdx_module, tdx_module(r, *m, p + ".tdxModule", false));
    ASSIGN_OR_RETURN(const json* ids, r.array(t, p, "tdxModuleIdentities", false));
    for (size_t i = 0; ids != nullptr && i < ids->size(); ++i) {
      ASSIGN_OR_RETURN(
          TdxModule id,
          tdx_module(r, (*ids)[i], p + ".tdxModuleIdentities[" + std::to_string(i) + "]", true));
      info.tdx_module_identities.push_back(std::move(id));
    }
  }
  ASSIGN_OR_RETURN(const json* levels, r.array(t, p, "tcbLevels"));
  for (size_t i = 0; i < levels->size(); ++i) {
    std::string lp = p + ".tcbLevels[" + std::to_string(i) + "]";
    const json& level = (*levels)[i];
    ASSIGN_OR_RETURN(const json* tcb, r.member(level, lp, "tcb"));
    std::string tp = lp + ".tcb";
    TcbLevel l;
    if (info.version == 2) {
      for (int c = 1; c <= 16; ++c) {
        char key[32];
        std::snprintf(key, sizeof key, "sgxtcbcomp%02dsvn", c);
        ASSIGN_OR_RETURN(uint64_t svn, r.uint(*tcb, tp, key, 255));
        l.sgx_svn[c - 1] = static_cast<uint8_t>(svn);
      }
    } else {
      ASSIGN_OR_RETURN(l.sgx_svn, r.components(*tcb, tp, "sgxtcbcomponents"));
      if (tdx) {
        ASSIGN_OR_RETURN(l.tdx_svn, r.components(*tcb, tp, "tdxtcbcomponents"));
      }
    }
    ASSIGN_OR_RETURN(uint64_t pcesvn, r.uint(*tcb, tp, "pcesvn", 65535));
    l.pce_svn = static_cast<uint16_t>(pcesvn);
    ASSIGN_OR_RETURN(l.status, r.status(level, lp));
    ASSIGN_OR_RETURN(l.tcb_date, r.string(level, lp, "tcbDate"));
    ASSIGN_OR_RETURN(l.advisory_ids, r.advisories(level, lp));
    info.levels.push_back(std::move(l));
  }
  return info;
}

base::Result<QeIdentity> qe_identity_body(const json& e) {
  Reader r("qe_identity");
  const std::string p = "enclaveIdentity";
  QeIdentity id;
  ASSIGN_OR_RETURN(id.id, r.string(e, p, "id"));
  ASSIGN_OR_RETURN(uint64_t version, r.uint(e, p, "version", 1000));
  id.version = static_cast<int>(version);
  if (id.version != 2)
    return r.error(p + ".version", "is " + std::to_string(version) + "; only 2 is supported");
  ASSIGN_OR_RETURN(id.issue_date, r.time(e, p, "issueDate"));
  ASSIGN_OR_RETURN(id.next_update, r.time(e, p, "nextUpdate"));
  ASSIGN_OR_RETURN(uint64_t eval, r.uint(e, p, "tcbEvaluationDataNumber", UINT32_MAX));
  id.tcb_evaluation_data_number = static_cast<uint32_t>(eval);
  ASSIGN_OR_RETURN(id.miscselect, r.hex<4>(e, p, "miscselect"));
  ASSIGN_OR_RETURN(id.miscselect_mask, r.hex<4>(e, p, "miscselectMask"));
  ASSIGN_OR_RETURN(id.attributes, r.hex<16>(e, p, "attributes"));
  ASSIGN_OR_RETURN(id.attributes_mask, r.hex<16>(e, p, "attributesMask"));
  ASSIGN_OR_RETURN(id.mrsigner, r.hex<32>(e, p, "mrsigner"));
  ASSIGN_OR_RETURN(uint64_t prod, r.uint(e, p, "isvprodid", 65535));
  id.isv_prod_id = static_cast<uint16_t>(prod);
  ASSIGN_OR_RETURN(id.levels, r.isv_levels(e, p));
  return id;
}

}  // namespace

std::optional<std::string_view> raw_member(std::string_view t, std::string_view key) {
  size_t i = skip_ws(t, 0);
  if (i >= t.size() || t[i] != '{') return std::nullopt;
  i = skip_ws(t, i + 1);
  while (i < t.size() && t[i] == '"') {
    size_t end = skip_string(t, i);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view name = t.substr(i + 1, end - i - 2);
    i = skip_ws(t, end);
    if (i >= t.size() || t[i] != ':') return std::nullopt;
    i = skip_ws(t, i + 1);
    size_t vend = skip_value(t, i);
    if (vend == std::string_view::npos || vend == i) return std::nullopt;
    if (name == key) return t.substr(i, vend - i);
    i = skip_ws(t, vend);
    if (i < t.size() && t[i] == ',') i = skip_ws(t, i + 1);
  }
  return std::nullopt;
}

std::optional<int64_t> parse_iso8601(std::string_view s) {
  struct tm tm {};
  int n = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
      n != 19)
    return std::nullopt;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(uint8_t(s[i]))) ++i;
  }
  if (i + 1 != s.size() || s[i] != 'Z') return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

base::Result<SignedDocument<TcbInfo>> parse_tcb_info(std::string_view text) {
  SignedDocument<TcbInfo> out;
  ASSIGN_OR_RETURN(json body, split_signed(text, "tcbInfo", "tcb_info", out));
  ASSIGN_OR_RETURN(out.body, tcb_info_body(body));
  return out;
}

base::Result<SignedDocument<QeIdentity>> parse_qe_identity(std::string_view text) {
  SignedDocument<QeIdentity> out;
  ASSIGN_OR_RETURN(json body, split_signed(text, "enclaveIdentity", "qe_identity", out));
  ASSIGN_OR_RETURN(out.body, qe_identity_body(body));
  return out;
}

}  // namespace rats::intel
