#include "shim/config.h"

#include <cerrno>

#include "base/file.h"

#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace shim {
namespace {

std::string where(const std::string& name, const toml::source_region& src) {
  return name + ":" + std::to_string(src.begin.line);
}

// Every key under an Inclavare table, flattened ("enclave_runtime.occlum.enclave_runtime_path").
void collect(const toml::table& t, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& [k, v] : t) {
    std::string key = prefix + "." + std::string(k.str());
    if (const auto* sub = v.as_table())
      collect(*sub, key, out);
    else
      out.push_back(key);
  }
}

base::Status get_string(const std::string& name, const toml::key& k, const toml::node& v,
                        std::string& out) {
  const auto* s = v.as_string();
  if (!s)
    return base::invalid(where(name, v.source()) + ": `" + std::string(k.str()) +
                         "` must be a string");
  if (s->get().find('\0') != std::string::npos)
    return base::invalid(where(name, v.source()) + ": `" + std::string(k.str()) +
                         "` contains a NUL byte");
  out = s->get();
  return base::ok();
}

}  // namespace

base::Result<Config> parse_config(std::string_view text, const std::string& name) {
  toml::parse_result parsed = toml::parse(text, name);
  if (!parsed)
    return base::invalid(where(name, parsed.error().source()) + ": " +
                         std::string(parsed.error().description()));
  const toml::table& root = parsed.table();
  Config c;
  for (const auto& [k, v] : root) {
    std::string key(k.str());
    if (key == "log_level") {
      TRY(get_string(name, k, v, c.log_level));
      if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warning" &&
          c.log_level != "error")
        return base::invalid(where(name, v.source()) + ": log_level `" + base::clip(c.log_level) +
                             "` is not one of debug, info, warning, error");
    } else if (key == "shim") {
      const auto* t = v.as_table();
      if (!t) return base::invalid(where(name, v.source()) + ": `shim` must be a table");
      for (const auto& [sk, sv] : *t) {
        std::string skey(sk.str());
        if (skey == "rune") {
          TRY(get_string(name, sk, sv, c.rune));
        } else if (skey == "runtime") {
          TRY(get_string(name, sk, sv, c.runtime));
        } else if (skey == "root") {
          TRY(get_string(name, sk, sv, c.root));
          if (c.root.empty() || c.root[0] != '/')
            return base::invalid(where(name, sv.source()) + ": shim.root `" + base::clip(c.root) +
                                 "` is not an absolute path");
        } else if (skey == "shim_cgroup") {
          TRY(get_string(name, sk, sv, c.shim_cgroup));
        } else if (skey == "systemd_cgroup") {
          const auto* b = sv.as_boolean();
          if (!b)
            return base::invalid(where(name, sv.source()) +
                                 ": shim.systemd_cgroup must be true or false");
          c.systemd_cgroup = b->get();
        } else {
          return base::invalid(where(name, sk.source()) + ": unknown key `shim." +
                               base::clip(skey) + "`");
        }
      }
    } else if (key == "sgx_tool_sign") {
      c.unused.push_back(key);
    } else if (key == "containerd" || key == "epm" || key == "enclave_runtime" ||
               key == "signature") {
      const auto* t = v.as_table();
      if (!t) return base::invalid(where(name, v.source()) + ": `" + key + "` must be a table");
      collect(*t, key, c.unused);
    } else {
      return base::invalid(where(name, k.source()) + ": unknown key `" + base::clip(key) + "`");
    }
  }
  return c;
}

base::Result<Config> load_config(const std::string& path, bool required) {
  auto text = base::read_file(path, 1 << 20);
  if (!text.ok()) {
    if (!required && text.error().err() == ENOENT) return Config{};
    return std::move(text).error().wrap("configuration");
  }
  return parse_config(*text, path);
}

}  // namespace shim
