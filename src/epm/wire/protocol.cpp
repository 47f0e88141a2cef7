#include "epm/wire/protocol.h"

#include "base/json_reader.h"
#include "base/log.h"

namespace epm {
namespace {

// Every member of `obj` must be one of `allowed`.
base::Status only(const base::Json& obj, std::initializer_list<std::string_view> allowed,
                  const std::string& where) {
  for (const auto& [k, v] : obj.items()) {
    bool known = false;
    for (auto a : allowed) known = known || k == a;
    if (!known) return base::invalid(where + "unknown field `" + base::clip(k) + "`");
  }
  return base::ok();
}

base::Result<std::string> need_string(const base::Json& obj, const char* name, size_t max,
                                      const std::string& where) {
  auto it = obj.find(name);
  if (it == obj.end()) return base::invalid(where + "`" + name + "` is required");
  if (!it->is_string())
    return base::invalid(where + "`" + name + "`: expected a string, got " +
                         base::json_type_name(*it));
  std::string s = it->get<std::string>();
  if (s.size() > max)
    return base::invalid(where + "`" + name + "`: " + std::to_string(s.size()) +
                         " bytes, at most " + std::to_string(max));
  if (s.find('\0') != std::string::npos)
    return base::invalid(where + "`" + name + "`: contains a NUL byte");
  return s;
}

base::Status need_version(const base::Json& j) {
  auto v = j.find("v");
  if (v == j.end()) return base::invalid("`v` is required");
  if (!v->is_number_integer() || v->get<int64_t>() != kProtocolVersion)
    return base::invalid("`v`: version " + base::clip(v->dump()) + " is not supported (want 1)");
  return base::ok();
}

}  // namespace

bool is_build_id_hex(std::string_view s) {
  if (s.size() < 2 || s.size() > 128 || s.size() % 2) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string encode_request(const TakeRequest& r) {
  base::Json j = {{"v", kProtocolVersion},
                  {"op", "take"},
                  {"key", {{"build_id", r.key.build_id}, {"args", r.key.args}}},
                  {"container", r.container}};
  return j.dump(-1, ' ', false, base::Json::error_handler_t::replace);
}

base::Result<TakeRequest> parse_request(std::string_view msg) {
  if (msg.size() > kMaxRequest)
    return base::invalid("request of " + std::to_string(msg.size()) + " bytes, at most 4096");
  ASSIGN_OR_RETURN(base::Json j, base::parse_json(msg, "request"));
  if (!j.is_object())
    return base::invalid(std::string("request: expected an object, got ") +
                         base::json_type_name(j));
  TRY(only(j, {"v", "op", "key", "container"}, ""));
  TRY(need_version(j));
  ASSIGN_OR_RETURN(std::string op, need_string(j, "op", 64, ""));
  if (op != "take") return base::invalid("`op`: `" + base::clip(op) + "` is not `take`");
  auto key = j.find("key");
  if (key == j.end()) return base::invalid("`key` is required");
  if (!key->is_object())
    return base::invalid(std::string("`key`: expected an object, got ") +
                         base::json_type_name(*key));
  TRY(only(*key, {"build_id", "args"}, "key: "));
  TakeRequest r;
  ASSIGN_OR_RETURN(r.key.build_id, need_string(*key, "build_id", 128, "key: "));
  if (!is_build_id_hex(r.key.build_id))
    return base::invalid("key: `build_id`: `" + base::clip(r.key.build_id) +
                         "` is not a build-id (lowercase hex, 2 to 128 digits)");
  ASSIGN_OR_RETURN(r.key.args, need_string(*key, "args", 2048, "key: "));
  ASSIGN_OR_RETURN(r.container, need_string(j, "container", 1024, ""));
  return r;
}

std::string encode_hit(const EntryInfo& e) {
  base::Json j = {
      {"v", kProtocolVersion},
      {"status", "hit"},
      {"entry",
       {{"instance", e.instance},
        {"size", e.size},
        {"addr", e.addr},
        {"built_at", base::log::rfc3339_nano(static_cast<long>(e.built_at_ns / 1'000'000'000),
                                             static_cast<long>(e.built_at_ns % 1'000'000'000))}}}};
  return j.dump();
}

std::string encode_miss(const std::string& reason) {
  base::Json j = {{"v", kProtocolVersion}, {"status", "miss"}, {"reason", reason}};
  return j.dump(-1, ' ', false, base::Json::error_handler_t::replace);
}

std::string encode_error(const std::string& reason) {
  base::Json j = {{"v", kProtocolVersion}, {"status", "error"}, {"reason", reason}};
  return j.dump(-1, ' ', false, base::Json::error_handler_t::replace);
}

base::Result<Reply> parse_reply(std::string_view msg) {
  ASSIGN_OR_RETURN(base::Json j, base::parse_json(msg, "epm's answer"));
  if (!j.is_object()) return base::invalid("epm's answer is not an object");
  TRY(need_version(j));
  Reply r;
  ASSIGN_OR_RETURN(r.status, need_string(j, "status", 16, "answer: "));
  if (r.status == "miss" || r.status == "error") {
    auto reason = need_string(j, "reason", kMaxReply, "answer: ");
    if (reason.ok()) r.reason = *reason;
    return r;
  }
  if (r.status != "hit")
    return base::invalid("answer: `status`: `" + base::clip(r.status) + "` is unknown");
  auto e = j.find("entry");
  if (e == j.end() || !e->is_object()) return base::invalid("answer: a hit without `entry`");
  ASSIGN_OR_RETURN(r.entry.instance, need_string(*e, "instance", 128, "answer: entry: "));
  auto size = e->find("size"), addr = e->find("addr");
  if (size == e->end() || !size->is_number_unsigned() || addr == e->end() ||
      !addr->is_number_unsigned())
    return base::invalid("answer: entry: `size` and `addr` must be unsigned integers");
  r.entry.size = size->get<uint64_t>();
  r.entry.addr = addr->get<uint64_t>();
  return r;
}

}  // namespace epm
