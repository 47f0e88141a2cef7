#include "epm/config.h"

#include <algorithm>

#include "base/file.h"

#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace epm {
namespace {

class Reader {
 public:
  explicit Reader(const std::string& name) : name_(name) {}

  base::Error bad(const toml::node& at, const std::string& key, const std::string& what) const {
    return base::invalid(name_ + ":" + std::to_string(at.source().begin.line) + ": `" + key + "` " +
                         what);
  }
  base::Error bad_key(const toml::key& k, const std::string& key) const {
    return base::invalid(name_ + ":" + std::to_string(k.source().begin.line) + ": unknown key `" +
                         base::clip(key) + "`");
  }

  base::Status string(const toml::node& v, const std::string& key, std::string& out) const {
    const auto* s = v.as_string();
    if (!s) return bad(v, key, "must be a string");
    if (s->get().find('\0') != std::string::npos) return bad(v, key, "contains a NUL byte");
    out = s->get();
    return base::ok();
  }

  base::Status integer(const toml::node& v, const std::string& key, int64_t lo, int64_t hi,
                       int64_t& out) const {
    const auto* i = v.as_integer();
    if (!i) return bad(v, key, "must be an integer");
    if (i->get() < lo || i->get() > hi)
      return bad(v, key,
                 "is " + std::to_string(i->get()) + ", want " + std::to_string(lo) + ".." +
                     std::to_string(hi));
    out = i->get();
    return base::ok();
  }

  // An integer, or a string of digits with a unit among `units` (each with its multiplier).
  base::Status quantity(const toml::node& v, const std::string& key,
                        const std::vector<std::pair<std::string, int64_t>>& units, int64_t lo,
                        int64_t hi, int64_t& out) const {
    if (v.as_integer()) return integer(v, key, lo, hi, out);
    std::string s;
    if (!v.as_string()) return bad(v, key, "must be an integer or a string with a unit");
    TRY(string(v, key, s));
    size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') digits++;
    const std::string unit = s.substr(digits);
    auto u =
        std::find_if(units.begin(), units.end(), [&](const auto& p) { return p.first == unit; });
    std::string names;
    for (const auto& p : units) names += (names.empty() ? "" : ", ") + p.first;
    if (digits == 0 || digits > 12 || u == units.end())
      return bad(v, key, "is `" + base::clip(s) + "`: want a number followed by one of " + names);
    const int64_t n = std::stoll(s.substr(0, digits));
    if (n > hi / u->second || n * u->second < lo)
      return bad(v, key, "is `" + s + "`: out of range");
    out = n * u->second;
    return base::ok();
  }

 private:
  const std::string& name_;
};

const std::vector<std::pair<std::string, int64_t>> kBytes = {
    {"", 1}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}};
const std::vector<std::pair<std::string, int64_t>> kMillis = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};

}  // namespace

base::Result<Config> parse_config(std::string_view text, const std::string& name) {
  toml::parse_result parsed = toml::parse(text, name);
  if (!parsed)
    return base::invalid(name + ":" + std::to_string(parsed.error().source().begin.line) + ": " +
                         std::string(parsed.error().description()));
  Reader r(name);
  Config c;
  bool have_budget = false;
  for (const auto& [k, v] : parsed.table()) {
    const std::string key(k.str());
    int64_t n = 0;
    if (key == "runtime") {
      const auto* arr = v.as_array();
      if (!arr || !arr->is_array_of_tables())
        return r.bad(v, key, "must be an array of tables ([[runtime]])");
      for (const auto& item : *arr) {
        std::string path;
        for (const auto& [rk, rv] : *item.as_table()) {
          const std::string rkey(rk.str());
          if (rkey != "path") return r.bad_key(rk, "runtime." + rkey);
          TRY(r.string(rv, "runtime.path", path));
          if (path.empty() || path[0] != '/')
            return r.bad(rv, "runtime.path", "`" + base::clip(path) + "` is not an absolute path");
        }
        if (path.empty()) return r.bad(item, "runtime.path", "is required");
        if (std::find(c.runtimes.begin(), c.runtimes.end(), path) != c.runtimes.end())
          return r.bad(item, "runtime.path", "`" + path + "` is listed twice");
        c.runtimes.push_back(path);
      }
    } else if (key == "pool") {
      const auto* arr = v.as_array();
      if (!arr || !arr->is_array_of_tables())
        return r.bad(v, key, "must be an array of tables ([[pool]])");
      for (const auto& item : *arr) {
        PoolSpec p;
        bool have_runtime = false;
        for (const auto& [pk, pv] : *item.as_table()) {
          const std::string pkey(pk.str());
          if (pkey == "runtime") {
            TRY(r.string(pv, "pool.runtime", p.runtime));
            have_runtime = true;
          } else if (pkey == "args") {
            TRY(r.string(pv, "pool.args", p.args));
            if (p.args.size() > kMaxArgs)
              return r.bad(pv, "pool.args",
                           "is " + std::to_string(p.args.size()) + " bytes, at most 2048");
          } else if (pkey == "depth") {
            TRY(r.integer(pv, "pool.depth", 1, kMaxDepth, n));
            p.depth = static_cast<int>(n);
          } else {
            return r.bad_key(pk, "pool." + pkey);
          }
        }
        if (!have_runtime) return r.bad(item, "pool.runtime", "is required");
        c.pools.push_back(std::move(p));
      }
    } else if (key == "max_bytes") {
      TRY(r.quantity(v, key, kBytes, 1, int64_t{1} << 46, n));
      c.max_bytes = static_cast<uint64_t>(n);
      have_budget = true;
    } else if (key == "max_pools") {
      TRY(r.integer(v, key, 1, 1024, n));
      c.max_pools = static_cast<int>(n);
    } else if (key == "build_concurrency") {
      TRY(r.integer(v, key, 1, 64, n));
      c.build_concurrency = static_cast<int>(n);
    } else if (key == "build_timeout") {
      TRY(r.quantity(v, key, kMillis, 100, 3'600'000, n));
      c.build_timeout_ms = static_cast<int>(n);
    } else if (key == "idle_ttl") {
      TRY(r.quantity(v, key, kMillis, 100, int64_t{7} * 24 * 3'600'000, n));
      c.idle_ttl_ms = n;
    } else if (key == "auto_pool") {
      const auto* b = v.as_boolean();
      if (!b) return r.bad(v, key, "must be true or false");
      c.auto_pool = b->get();
    } else {
      return r.bad_key(k, key);
    }
  }
  if (!have_budget) return base::invalid(name + ": `max_bytes` (the memory budget) is required");
  for (const auto& p : c.pools)
    if (std::find(c.runtimes.begin(), c.runtimes.end(), p.runtime) == c.runtimes.end())
      return base::invalid(name + ": pool.runtime `" + base::clip(p.runtime) +
                           "` is not among the [[runtime]] paths");
  if (static_cast<int>(c.pools.size()) > c.max_pools)
    return base::invalid(name + ": " + std::to_string(c.pools.size()) + " pools, max_pools is " +
                         std::to_string(c.max_pools));
  return c;
}

base::Result<Config> load_config(const std::string& path) {
  auto text = base::read_file(path, 1 << 20);
  if (!text.ok()) return std::move(text).error().wrap("configuration");
  return parse_config(*text, path);
}

}  // namespace epm
