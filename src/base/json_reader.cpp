#include "base/json_reader.h"

#include "base/encoding.h"

namespace base {

Result<Json> parse_json(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string detail = e.what();
    if (size_t at = detail.find("parse error at "); at != std::string::npos)
      detail = detail.substr(at + 15);
    else
      detail = "byte " + std::to_string(e.byte);
    if (detail.size() > 200) detail = detail.substr(0, 200) + "...";
    return invalid("`" + std::string(what) + "` is not valid JSON: " + detail);
  } catch (const Json::exception& e) {
    return invalid("`" + std::string(what) + "` is not valid JSON: " + e.what());
  }
}

const char* json_type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a number with a fraction";
    default:
      return "an unusable value";
  }
}

Status JsonReader::status() const {
  if (first_) return *first_;
  return base::ok();
}

bool JsonField::fail(std::string_view what) const {
  if (r_->ok()) {
    const std::string& shown = path_.empty() ? r_->root_name() : path_;
    r_->fail(invalid("`" + shown + "`: " + std::string(what)));
  }
  return false;
}

bool JsonField::wrong_type(std::string_view what) const {
  return fail("expected " + std::string(what) + ", got " +
              (v_ ? json_type_name(*v_) : std::string("nothing")));
}

bool JsonField::require() const {
  return present() || fail("is required");
}

JsonField JsonField::operator[](std::string_view key) const {
  std::string path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  if (v_ == nullptr || !is_object()) return JsonField(r_, nullptr, std::move(path));
  auto it = v_->find(key);
  const Json* v = (it == v_->end() || it->is_null()) ? nullptr : &*it;
  return JsonField(r_, v, std::move(path));
}

JsonField JsonField::operator[](size_t index) const {
  std::string path = path_ + "[" + std::to_string(index) + "]";
  if (v_ == nullptr || !v_->is_array() || index >= v_->size())
    return JsonField(r_, nullptr, std::move(path));
  return JsonField(r_, &(*v_)[index], std::move(path));  // a null element is a value here
}

bool JsonField::is_object() const {
  if (v_ == nullptr) return false;
  return v_->is_object() || wrong_type("an object");
}

bool JsonField::is_array() const {
  if (v_ == nullptr) return false;
  return v_->is_array() || wrong_type("an array");
}

std::vector<JsonField> JsonField::elements() const {
  std::vector<JsonField> out;
  if (!is_array()) return out;
  out.reserve(v_->size());
  for (size_t i = 0; i < v_->size(); ++i) out.push_back((*this)[i]);
  return out;
}

std::vector<std::pair<std::string, JsonField>> JsonField::members() const {
  std::vector<std::pair<std::string, JsonField>> out;
  if (!is_object()) return out;
  for (auto it = v_->begin(); it != v_->end(); ++it) {
    std::string path = path_.empty() ? it.key() : path_ + "." + it.key();
    out.emplace_back(it.key(), JsonField(r_, it->is_null() ? nullptr : &*it, std::move(path)));
  }
  return out;
}

bool JsonField::get(std::string& out) const {
  if (v_ == nullptr) return false;
  if (!v_->is_string()) return wrong_type("a string");
  const std::string& s = v_->get_ref<const std::string&>();
  // A C string would end at the NUL and the rest would be dropped without a word.
  if (s.find('\0') != std::string::npos)
    return fail("contains a NUL byte at offset " + std::to_string(s.find('\0')));
  out = s;
  return true;
}

bool JsonField::get(bool& out) const {
  if (v_ == nullptr) return false;
  if (!v_->is_boolean()) return wrong_type("a boolean");
  out = v_->get<bool>();
  return true;
}

bool JsonField::get_integer(int64_t min, uint64_t max, uint64_t& bits) const {
  if (v_ == nullptr) return false;
  auto range = [&] {
    return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  };
  if (v_->is_number_unsigned()) {
    uint64_t u = v_->get<uint64_t>();
    if (u > max) return fail("expected " + range() + ", got " + std::to_string(u));
    bits = u;
    return true;
  }
  if (v_->is_number_integer()) {
    int64_t s = v_->get<int64_t>();
    if (s < min || (s > 0 && static_cast<uint64_t>(s) > max))
      return fail("expected " + range() + ", got " + std::to_string(s));
    bits = static_cast<uint64_t>(s);
    return true;
  }
  return wrong_type("an integer");
}

bool JsonField::get(std::vector<std::string>& out) const {
  if (v_ == nullptr) return false;
  if (!v_->is_array()) return wrong_type("an array of strings");
  std::vector<std::string> v;
  v.reserve(v_->size());
  for (size_t i = 0; i < v_->size(); ++i) {
    if (!(*this)[i].need(v.emplace_back())) return false;
  }
  out = std::move(v);
  return true;
}

bool JsonField::get(std::map<std::string, std::string>& out) const {
  if (v_ == nullptr) return false;
  if (!v_->is_object()) return wrong_type("an object of strings");
  for (auto& [key, field] : members()) {
    std::string s;
    if (!field.need(s)) return false;
    out[key] = std::move(s);
  }
  return true;
}

bool JsonField::get_hex(uint8_t* out, size_t n) const {
  if (v_ == nullptr) return false;
  if (!v_->is_string()) return wrong_type(std::to_string(n) + " bytes of hex");
  const std::string& s = v_->get_ref<const std::string&>();
  auto bytes = hex_decode(s);
  if (!bytes || bytes->size() != n)
    return fail("`" + s + "` is not " + std::to_string(n) + " bytes of hex");
  std::copy(bytes->begin(), bytes->end(), out);
  return true;
}

}  // namespace base
