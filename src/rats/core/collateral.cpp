#include <array>

#include "base/file.h"
#include "base/json_reader.h"
#include "rats/verifier.h"

namespace rats {

namespace {
constexpr std::array<std::string_view, 13> kRoles = {
    "root_ca",
    "pck_crl",
    "pck_crl_issuer_chain",
    "root_ca_crl",
    "tcb_info",
    "tcb_info_issuer_chain",
    "qe_identity",
    "qe_identity_issuer_chain",
    "pck_cert",
    "pck_cert_issuer_chain",
    "ark",
    "ask",
    "vcek",
};
// Collateral files are certificates, CRLs and JSON documents of a few KiB; CRLs of busy CAs
// reach a few hundred KiB.
constexpr size_t kMaxCollateralFile = 4 << 20;
}  // namespace

std::span<const std::string_view> collateral_roles() {
  return kRoles;
}

base::Result<std::map<std::string, std::string>> parse_collateral_map(std::string_view text,
                                                                      const std::string& what) {
  base::Json j = base::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return base::invalid(what + " is not valid JSON");
  if (!j.is_object()) return base::invalid(what + " must be a JSON object mapping roles to files");
  base::JsonReader reader(j, what);
  std::map<std::string, std::string> out;
  for (const auto& [role, value] : reader.root().members()) {
    bool known = false;
    for (auto r : kRoles) known = known || r == role;
    if (!known) {
      std::string list;
      for (auto r : kRoles) list += (list.empty() ? "" : ", ") + std::string(r);
      value.fail("unknown role (known: " + list + ")");
      break;
    }
    std::string file;
    if (!value.need(file)) break;
    if (file.empty()) {
      value.fail("must be a file path, not empty");
      break;
    }
    out[role] = std::move(file);
  }
  TRY_WRAP(reader.status(), what);
  return out;
}

base::Result<Collateral> load_collateral_json(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, base::read_file(path, 1 << 20));
  const std::string what = "collateral `" + path + "`";
  ASSIGN_OR_RETURN(auto files, parse_collateral_map(text, what));
  std::string dir = ".";
  if (auto slash = path.rfind('/'); slash != std::string::npos) dir = path.substr(0, slash + 1);
  Collateral out;
  for (auto& [role, file] : files) {
    if (file[0] != '/') file = base::path_join(dir, file);
    auto data = base::read_file(file, kMaxCollateralFile);
    if (!data.ok()) return std::move(data).error().wrap(what + " role `" + role + "`");
    out.by_role[role] = std::vector<uint8_t>(data->begin(), data->end());
  }
  return out;
}

}  // namespace rats
