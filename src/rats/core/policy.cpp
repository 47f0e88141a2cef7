#include "rats/policy.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "rats/verifier.h"

namespace rats {

namespace {

constexpr TcbStatus kDefaultAccepted[] = {
    TcbStatus::UpToDate,
    TcbStatus::SWHardeningNeeded,
    TcbStatus::ConfigurationNeeded,
    TcbStatus::ConfigurationAndSWHardeningNeeded,
};

using json = nlohmann::json;

// Reads policy JSON into a Policy, keeping the first error (STYLE.md §6).
class PolicyReader {
 public:
  base::Result<Policy> read(const json& j) {
    if (!j.is_object()) return base::invalid("policy must be a JSON object");
    for (const auto& [key, value] : j.items()) {
      if (key == "allow_debug") {
        boolean(key, value, policy_.allow_debug);
      } else if (key == "accepted_tcb_statuses") {
        statuses(key, value);
      } else if (key == "accept_out_of_date") {
        bool yes = false;
        boolean(key, value, yes);
        accept_out_of_date_ = yes;
      } else if (key == "trust_sim_root") {
        boolean(key, value, policy_.sim_root_trusted);
      } else if (key == "trusted_root_keys") {
        hex_list(key, value, policy_.trusted_root_keys);
      } else if (key == "min_tcb_evaluation_data_number") {
        policy_.min_tcb_evaluation_data_number = number<uint32_t>(key, value);
      } else if (key == "sgx") {
        section(key, value, [&](const std::string& k, const json& v) {
          if (k == "mrenclave") return hex_list(key + "." + k, v, policy_.mrenclave), true;
          if (k == "mrsigner") return hex_list(key + "." + k, v, policy_.mrsigner), true;
          if (k == "isv_prod_id")
            return policy_.isv_prod_id = number<uint16_t>(key + "." + k, v), true;
          if (k == "min_isv_svn")
            return policy_.min_isv_svn = number<uint16_t>(key + "." + k, v), true;
          return false;
        });
      } else if (key == "tdx") {
        section(key, value, [&](const std::string& k, const json& v) {
          if (k == "mrtd") return hex_list(key + "." + k, v, policy_.mrtd), true;
          if (k == "mrconfigid") return hex_list(key + "." + k, v, policy_.mrconfigid), true;
          if (k == "mrowner") return hex_list(key + "." + k, v, policy_.mrowner), true;
          if (k == "mrseam") return hex_list(key + "." + k, v, policy_.mrseam), true;
          if (k == "xfam") return hex_list(key + "." + k, v, policy_.xfam), true;
          for (size_t i = 0; i < 4; ++i) {
            if (k == "rtmr" + std::to_string(i))
              return hex_list(key + "." + k, v, policy_.rtmr[i]), true;
          }
          return false;
        });
      } else if (key == "snp") {
        section(key, value, [&](const std::string& k, const json& v) {
          if (k == "measurement") return hex_list(key + "." + k, v, policy_.snp_measurement), true;
          if (k == "host_data") return hex_list(key + "." + k, v, policy_.snp_host_data), true;
          if (k == "min_guest_svn")
            return policy_.min_guest_svn = number<uint32_t>(key + "." + k, v), true;
          if (k == "allow_migrate_ma")
            return boolean(key + "." + k, v, policy_.allow_migrate_ma), true;
          if (k == "max_vmpl") return policy_.max_vmpl = number<uint32_t>(key + "." + k, v), true;
          if (k == "id_key_digest")
            return hex_list(key + "." + k, v, policy_.snp_id_key_digest), true;
          if (k == "author_key_digest")
            return hex_list(key + "." + k, v, policy_.snp_author_key_digest), true;
          if (k == "family_id") return hex_list(key + "." + k, v, policy_.snp_family_id), true;
          if (k == "image_id") return hex_list(key + "." + k, v, policy_.snp_image_id), true;
          return false;
        });
      } else {
        fail("unknown key `" + key + "`");
      }
    }
    if (error_) return *error_;
    if (accept_out_of_date_) {
      if (policy_.accepted_tcb_statuses.empty())
        policy_.accepted_tcb_statuses.assign(std::begin(kDefaultAccepted),
                                             std::end(kDefaultAccepted));
      for (auto s : {TcbStatus::OutOfDate, TcbStatus::OutOfDateConfigurationNeeded}) {
        if (!policy_.accepts_tcb_status(s)) policy_.accepted_tcb_statuses.push_back(s);
      }
    }
    return policy_;
  }

 private:
  void fail(std::string msg) {
    if (!error_) error_ = base::invalid("policy: " + std::move(msg));
  }

  void boolean(const std::string& key, const json& v, bool& out) {
    if (!v.is_boolean()) return fail("`" + key + "` must be true or false");
    out = v.get<bool>();
  }

  template <class T>
  std::optional<T> number(const std::string& key, const json& v) {
    if (!v.is_number_unsigned() || v.get<uint64_t>() > std::numeric_limits<T>::max()) {
      fail("`" + key + "` must be an integer from 0 to " +
           std::to_string(std::numeric_limits<T>::max()));
      return std::nullopt;
    }
    return static_cast<T>(v.get<uint64_t>());
  }

  // A hex string or a list of hex strings, each exactly N bytes.
  template <size_t N>
  void hex_list(const std::string& key, const json& v, std::vector<Bytes<N>>& out) {
    std::vector<json> items;
    if (v.is_string()) {
      items.push_back(v);
    } else if (v.is_array()) {
      items.assign(v.begin(), v.end());
    } else {
      return fail("`" + key + "` must be a hex string or a list of hex strings");
    }
    for (const auto& item : items) {
      auto bytes = item.is_string() ? base::hex_decode(item.get<std::string>()) : std::nullopt;
      if (!bytes || bytes->size() != N) {
        return fail("`" + key +
                    "`: " + (item.is_string() ? "`" + item.get<std::string>() + "`" : item.dump()) +
                    " is not " + std::to_string(N) + " bytes of hex");
      }
      Bytes<N> b{};
      std::copy(bytes->begin(), bytes->end(), b.begin());
      out.push_back(b);
    }
  }

  void statuses(const std::string& key, const json& v) {
    if (!v.is_array()) return fail("`" + key + "` must be a list of TCB status names");
    for (const auto& item : v) {
      auto s = item.is_string() ? parse_tcb_status(item.get<std::string>()) : std::nullopt;
      if (!s) return fail("`" + key + "`: " + item.dump() + " is not a TCB status name");
      policy_.accepted_tcb_statuses.push_back(*s);
    }
  }

  template <class F>
  void section(const std::string& key, const json& v, F&& member) {
    if (!v.is_object()) return fail("`" + key + "` must be an object");
    for (const auto& [k, value] : v.items()) {
      if (!member(k, value)) fail("unknown key `" + key + "." + k + "`");
    }
  }

  Policy policy_;
  bool accept_out_of_date_ = false;
  std::optional<base::Error> error_;
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

base::Result<Policy> parse_policy_json(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return base::invalid("policy is not valid JSON");
  return PolicyReader().read(j);
}

}  // namespace rats
