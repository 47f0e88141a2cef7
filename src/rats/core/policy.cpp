#include "rats/policy.h"

#include <algorithm>
#include <limits>

#include "base/json_reader.h"
#include "rats/verifier.h"

namespace rats {

namespace {

constexpr TcbStatus kDefaultAccepted[] = {
    TcbStatus::UpToDate,
    TcbStatus::SWHardeningNeeded,
    TcbStatus::ConfigurationNeeded,
    TcbStatus::ConfigurationAndSWHardeningNeeded,
};

using base::JsonField;

// Reads policy JSON into a Policy; the reader keeps the first error (STYLE.md §6).
class PolicyReader {
 public:
  void read(const JsonField& root) {
    if (!root.is_object()) return;
    for (const auto& [key, value] : root.members()) {
      if (key == "allow_debug") {
        value.get(policy_.allow_debug);
      } else if (key == "accepted_tcb_statuses") {
        statuses(value);
      } else if (key == "accept_out_of_date") {
        value.get(accept_out_of_date_);
      } else if (key == "trust_sim_root") {
        bool trust = false;
        if (value.get(trust) && trust) policy_.trust_sim_root(TrustSimRoot{});
      } else if (key == "trusted_root_keys") {
        hex_list(value, policy_.trusted_root_keys);
      } else if (key == "min_tcb_evaluation_data_number") {
        value.get(policy_.min_tcb_evaluation_data_number);
      } else if (key == "sgx") {
        section(value, [&](const std::string& k, const JsonField& v) {
          if (k == "mrenclave") return hex_list(v, policy_.mrenclave), true;
          if (k == "mrsigner") return hex_list(v, policy_.mrsigner), true;
          if (k == "isv_prod_id") return v.get(policy_.isv_prod_id), true;
          if (k == "min_isv_svn") return v.get(policy_.min_isv_svn), true;
          return false;
        });
      } else if (key == "tdx") {
        section(value, [&](const std::string& k, const JsonField& v) {
          if (k == "mrtd") return hex_list(v, policy_.mrtd), true;
          if (k == "mrconfigid") return hex_list(v, policy_.mrconfigid), true;
          if (k == "mrowner") return hex_list(v, policy_.mrowner), true;
          if (k == "mrseam") return hex_list(v, policy_.mrseam), true;
          if (k == "xfam") return hex_list(v, policy_.xfam), true;
          for (size_t i = 0; i < 4; ++i) {
            if (k == "rtmr" + std::to_string(i)) return hex_list(v, policy_.rtmr[i]), true;
          }
          return false;
        });
      } else if (key == "snp") {
        section(value, [&](const std::string& k, const JsonField& v) {
          if (k == "measurement") return hex_list(v, policy_.snp_measurement), true;
          if (k == "host_data") return hex_list(v, policy_.snp_host_data), true;
          if (k == "min_guest_svn") return v.get(policy_.min_guest_svn), true;
          if (k == "allow_migrate_ma") return v.get(policy_.allow_migrate_ma), true;
          if (k == "max_vmpl") return v.get(policy_.max_vmpl), true;
          if (k == "id_key_digest") return hex_list(v, policy_.snp_id_key_digest), true;
          if (k == "author_key_digest") return hex_list(v, policy_.snp_author_key_digest), true;
          if (k == "family_id") return hex_list(v, policy_.snp_family_id), true;
          if (k == "image_id") return hex_list(v, policy_.snp_image_id), true;
          return false;
        });
      } else {
        value.fail("unknown key");
      }
    }
  }

  Policy finish() {
    if (accept_out_of_date_) {
      if (policy_.accepted_tcb_statuses.empty())
        policy_.accepted_tcb_statuses.assign(std::begin(kDefaultAccepted),
                                             std::end(kDefaultAccepted));
      for (auto s : {TcbStatus::OutOfDate, TcbStatus::OutOfDateConfigurationNeeded}) {
        if (!policy_.accepts_tcb_status(s)) policy_.accepted_tcb_statuses.push_back(s);
      }
    }
    return std::move(policy_);
  }

 private:
  // A hex string or a list of hex strings, each exactly N bytes.
  template <size_t N>
  void hex_list(const JsonField& v, std::vector<Bytes<N>>& out) {
    const base::Json* j = v.json();
    if (j != nullptr && j->is_array()) {
      for (const JsonField& item : v.elements()) {
        if (!item.need(out.emplace_back())) return out.pop_back();
      }
    } else if (j != nullptr && j->is_string()) {
      if (!v.get(out.emplace_back())) out.pop_back();
    } else {
      v.wrong_type("a hex string or a list of hex strings");
    }
  }

  void statuses(const JsonField& v) {
    for (const JsonField& item : v.elements()) {
      std::string name;
      if (!item.need(name)) return;
      auto s = parse_tcb_status(name);
      if (!s) {
        item.fail("`" + name + "` is not a TCB status name");
        return;
      }
      policy_.accepted_tcb_statuses.push_back(*s);
    }
  }

  template <class F>
  void section(const JsonField& v, F&& member) {
    for (const auto& [k, value] : v.members()) {
      if (!member(k, value)) value.fail("unknown key");
    }
  }

  Policy policy_;
  bool accept_out_of_date_ = false;
};

}  // namespace

bool Policy::accepts_tcb_status(TcbStatus s) const {
  if (accepted_tcb_statuses.empty())
    return std::find(std::begin(kDefaultAccepted), std::end(kDefaultAccepted), s) !=
           std::end(kDefaultAccepted);
  return std::find(accepted_tcb_statuses.begin(), accepted_tcb_statuses.end(), s) !=
         accepted_tcb_statuses.end();
}

bool Policy::trusts_root_key(const Bytes<32>& key) const {
  return std::find(trusted_root_keys.begin(), trusted_root_keys.end(), key) !=
         trusted_root_keys.end();
}

Policy& Policy::trust_sim_root(TrustSimRoot, const Bytes<32>& key) {
  if (!trusts_root_key(key)) trusted_root_keys.push_back(key);
  return *this;
}

Policy& Policy::trust_sim_root(TrustSimRoot) {
  sim_root_trusted_ = true;
  return *this;
}

base::Result<Policy> parse_policy_json(std::string_view text) {
  base::Json doc = base::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return base::invalid("policy is not valid JSON");
  if (!doc.is_object()) return base::invalid("policy must be a JSON object");
  base::JsonReader reader(doc, "policy");
  PolicyReader policy;
  policy.read(reader.root());
  if (base::Status s = reader.status(); !s.ok()) return std::move(s).error().wrap("policy");
  return policy.finish();
}

}  // namespace rats
