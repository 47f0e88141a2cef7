#include "rats/verifiers/intel/collateral_json.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "base/json_reader.h"

namespace rats::intel {

namespace {

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

using base::JsonField;

// Field readers shared by TCB info and QE identity; errors go to the field's reader.
std::optional<int64_t> read_time(const JsonField& f) {
  std::string s;
  if (!f.need(s)) return std::nullopt;
  auto t = parse_iso8601(s);
  if (!t) f.fail("is not an ISO 8601 UTC time: `" + s + "`");
  return t;
}

TcbStatus read_status(const JsonField& level) {
  JsonField f = level["tcbStatus"];
  std::string s;
  if (!f.need(s)) return TcbStatus::Revoked;
  auto st = parse_tcb_status(s);
  if (!st) f.fail("is not a known TCB status: `" + s + "`");
  return st.value_or(TcbStatus::Revoked);
}

// 16 SVNs from a v3 components array [{"svn": n, ...} x16].
std::array<uint8_t, 16> read_components(const JsonField& f) {
  std::array<uint8_t, 16> out{};
  if (!f.require()) return out;
  std::vector<JsonField> items = f.elements();
  if (f.json()->is_array() && items.size() != 16) {
    f.fail("must have 16 entries, not " + std::to_string(items.size()));
    return out;
  }
  for (size_t i = 0; i < items.size(); ++i) items[i]["svn"].need(out[i]);
  return out;
}

std::vector<IsvLevel> read_isv_levels(const JsonField& obj) {
  std::vector<IsvLevel> out;
  JsonField levels = obj["tcbLevels"];
  if (!levels.require()) return out;
  for (const JsonField& level : levels.elements()) {
    IsvLevel l;
    level["tcb"]["isvsvn"].need(l.isv_svn);
    l.status = read_status(level);
    level["advisoryIDs"].get(l.advisory_ids);
    out.push_back(std::move(l));
  }
  return out;
}

// Parses {"<inner>": {...}, "signature": "hex"}: the inner value's exact bytes (for the
// signature check), the signature, and the document for the body's reader.
template <class T>
base::Result<base::Json> split_signed(std::string_view text, const char* inner, const char* doc,
                                      SignedDocument<T>& out) {
  base::Json whole = base::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (whole.is_discarded()) return base::invalid(std::string(doc) + " is not valid JSON");
  if (!whole.is_object()) return base::invalid(std::string(doc) + " is not a JSON object");
  auto raw = raw_member(text, inner);
  if (!raw) return base::invalid(std::string(doc) + ": `" + inner + "`: is required");
  out.signed_bytes.assign(raw->data(), raw->size());
  return whole;
}

TdxModule read_tdx_module(const JsonField& f, bool identity) {
  TdxModule m;
  if (!f.require()) return m;
  if (identity) {
    f["id"].need(m.id);
    m.levels = read_isv_levels(f);
  }
  f["mrsigner"].need(m.mrsigner);
  f["attributes"].need(m.attributes);
  f["attributesMask"].need(m.attributes_mask);
  return m;
}

TcbInfo read_tcb_info(const JsonField& t) {
  TcbInfo info;
  if (!t.require() || !t.is_object()) return info;
  JsonField version = t["version"];
  if (!version.need(info.version)) return info;
  if (info.version != 2 && info.version != 3) {
    version.fail("is " + std::to_string(info.version) + "; only 2 and 3 are supported");
    return info;
  }
  if (info.version == 3) t["id"].need(info.id);
  info.issue_date = read_time(t["issueDate"]).value_or(0);
  info.next_update = read_time(t["nextUpdate"]).value_or(0);
  t["fmspc"].need(info.fmspc);
  t["pceId"].need(info.pce_id);
  uint8_t tcb_type = 0;
  t["tcbType"].need(tcb_type);
  info.tcb_type = tcb_type;
  t["tcbEvaluationDataNumber"].need(info.tcb_evaluation_data_number);
  bool tdx = info.id == "TDX";
  if (tdx) {
    info.tdx_module = read_tdx_module(t["tdxModule"], false);
    for (const JsonField& id : t["tdxModuleIdentities"].elements())
      info.tdx_module_identities.push_back(read_tdx_module(id, true));
  }
  JsonField levels = t["tcbLevels"];
  if (!levels.require()) return info;
  for (const JsonField& level : levels.elements()) {
    JsonField tcb = level["tcb"];
    if (!tcb.require()) break;
    TcbLevel l;
    if (info.version == 2) {
      for (int c = 1; c <= 16; ++c) {
        char key[32];
        std::snprintf(key, sizeof key, "sgxtcbcomp%02dsvn", c);
        tcb[key].need(l.sgx_svn[c - 1]);
      }
    } else {
      l.sgx_svn = read_components(tcb["sgxtcbcomponents"]);
      if (tdx) l.tdx_svn = read_components(tcb["tdxtcbcomponents"]);
    }
    tcb["pcesvn"].need(l.pce_svn);
    l.status = read_status(level);
    level["tcbDate"].need(l.tcb_date);
    level["advisoryIDs"].get(l.advisory_ids);
    info.levels.push_back(std::move(l));
  }
  return info;
}

QeIdentity read_qe_identity(const JsonField& e) {
  QeIdentity id;
  if (!e.require() || !e.is_object()) return id;
  e["id"].need(id.id);
  JsonField version = e["version"];
  if (!version.need(id.version)) return id;
  if (id.version != 2) {
    version.fail("is " + std::to_string(id.version) + "; only 2 is supported");
    return id;
  }
  id.issue_date = read_time(e["issueDate"]).value_or(0);
  id.next_update = read_time(e["nextUpdate"]).value_or(0);
  e["tcbEvaluationDataNumber"].need(id.tcb_evaluation_data_number);
  e["miscselect"].need(id.miscselect);
  e["miscselectMask"].need(id.miscselect_mask);
  e["attributes"].need(id.attributes);
  e["attributesMask"].need(id.attributes_mask);
  e["mrsigner"].need(id.mrsigner);
  e["isvprodid"].need(id.isv_prod_id);
  id.levels = read_isv_levels(e);
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
  ASSIGN_OR_RETURN(base::Json whole, split_signed(text, "tcbInfo", "tcb_info", out));
  base::JsonReader reader(whole, "tcb_info");
  reader.root()["signature"].need(out.signature);
  out.body = read_tcb_info(reader.root()["tcbInfo"]);
  TRY_WRAP(reader.status(), "tcb_info");
  return out;
}

base::Result<SignedDocument<QeIdentity>> parse_qe_identity(std::string_view text) {
  SignedDocument<QeIdentity> out;
  ASSIGN_OR_RETURN(base::Json whole, split_signed(text, "enclaveIdentity", "qe_identity", out));
  base::JsonReader reader(whole, "qe_identity");
  reader.root()["signature"].need(out.signature);
  out.body = read_qe_identity(reader.root()["enclaveIdentity"]);
  TRY_WRAP(reader.status(), "qe_identity");
  return out;
}

}  // namespace rats::intel
