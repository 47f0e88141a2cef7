#include "dbus/message.h"

#include <cstring>

namespace dbus {

using base::Result;

Value Value::variant(Value inner) {
  Value v{"v", 0, {}, {}};
  v.items.push_back(std::move(inner));
  return v;
}

Value Value::array(const std::string& elem_sig, std::vector<Value> items) {
  return {"a" + elem_sig, 0, {}, std::move(items)};
}

Value Value::structure(std::vector<Value> fields) {
  std::string sig = "(";
  for (const auto& f : fields) sig += f.sig;
  return {sig + ")", 0, {}, std::move(fields)};
}

namespace {

constexpr int kMaxDepth = 32;

bool is_basic(char c) {
  return strchr("ybnqiuxtdsogh", c) != nullptr && c != '\0';
}

size_t type_length(std::string_view sig, int arrays, int structs) {
  if (sig.empty()) return 0;
  char c = sig[0];
  if (is_basic(c) || c == 'v') return 1;
  if (c == 'a') {
    if (arrays >= kMaxDepth) return 0;
    if (sig.size() > 1 && sig[1] == '{') {
      // dict entry: a basic key and one complete value type
      if (structs >= kMaxDepth || sig.size() < 5 || !is_basic(sig[2])) return 0;
      size_t v = type_length(sig.substr(3), arrays + 1, structs + 1);
      if (v == 0 || sig.size() <= 3 + v || sig[3 + v] != '}') return 0;
      return 4 + v;
    }
    size_t e = type_length(sig.substr(1), arrays + 1, structs);
    return e == 0 ? 0 : 1 + e;
  }
  if (c == '(') {
    if (structs >= kMaxDepth) return 0;
    size_t i = 1;
    while (i < sig.size() && sig[i] != ')') {
      size_t f = type_length(sig.substr(i), arrays, structs + 1);
      if (f == 0) return 0;
      i += f;
    }
    if (i >= sig.size() || i == 1) return 0;  // unclosed, or an empty struct
    return i + 1;
  }
  return 0;
}

size_t alignment_of(char c) {
  switch (c) {
    case 'y':
    case 'g':
    case 'v':
      return 1;
    case 'n':
    case 'q':
      return 2;
    case 'x':
    case 't':
    case 'd':
    case '(':
    case '{':
      return 8;
    default:
      return 4;
  }
}

// Splits a sequence of complete types; false when `sig` is not one.
bool split_types(std::string_view sig, std::vector<std::string_view>& out) {
  while (!sig.empty()) {
    size_t n = type_length(sig, 0, 0);
    if (n == 0) return false;
    out.push_back(sig.substr(0, n));
    sig.remove_prefix(n);
  }
  return true;
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void pad(size_t a) {
    while (out_.size() % a) out_.push_back('\0');
  }
  void put(uint64_t v, size_t bytes) {
    pad(bytes);
    for (size_t i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void patch32(size_t at, uint32_t v) {
    for (size_t i = 0; i < 4; ++i) out_[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  base::Status value(std::string_view sig, const Value& v) {
    auto bad = [&](const std::string& why) {
      return base::invalid("D-Bus value of type `" + std::string(sig) + "`: " + why);
    };
    if (v.sig != sig) return bad("the value is a `" + v.sig + "`");
    switch (sig[0]) {
      case 'y':
        put(v.num, 1);
        break;
      case 'b':
        put(v.num ? 1 : 0, 4);
        break;
      case 'n':
      case 'q':
        put(v.num, 2);
        break;
      case 'i':
      case 'u':
      case 'h':
        put(v.num, 4);
        break;
      case 'x':
      case 't':
      case 'd':
        put(v.num, 8);
        break;
      case 's':
      case 'o':
        if (v.str.find('\0') != std::string::npos) return bad("a NUL inside the string");
        put(v.str.size(), 4);
        out_ += v.str;
        out_.push_back('\0');
        break;
      case 'g': {
        std::vector<std::string_view> types;
        if (v.str.size() > 255 || !split_types(v.str, types)) return bad("not a signature");
        put(v.str.size(), 1);
        out_ += v.str;
        out_.push_back('\0');
        break;
      }
      case 'v': {
        if (v.items.size() != 1) return bad("a variant holds one value");
        const std::string& inner = v.items[0].sig;
        if (inner.size() > 255 || inner.empty() || type_length(inner, 0, 0) != inner.size())
          return bad("the inner value has no single complete type");
        put(inner.size(), 1);
        out_ += inner;
        out_.push_back('\0');
        return value(inner, v.items[0]);
      }
      case 'a': {
        std::string_view elem = sig.substr(1);
        pad(4);
        size_t len_at = out_.size();
        put(0, 4);
        pad(alignment_of(elem[0]));
        size_t start = out_.size();
        for (const auto& it : v.items) TRY(value(elem, it));
        size_t len = out_.size() - start;
        if (len > kMaxMessage) return bad("the array is too long");
        patch32(len_at, static_cast<uint32_t>(len));
        break;
      }
      case '(':
      case '{': {
        std::vector<std::string_view> fields;
        split_types(sig.substr(1, sig.size() - 2), fields);
        if (fields.size() != v.items.size()) return bad("wrong number of fields");
        pad(8);
        for (size_t i = 0; i < fields.size(); ++i) TRY(value(fields[i], v.items[i]));
        break;
      }
      default:
        return bad("unknown type");
    }
    return base::ok();
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  // `base` is the offset of data[0] within the message (alignment counts from the message start).
  Reader(std::string_view data, size_t base) : d_(data), base_(base) {}
  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ == d_.size(); }

  Result<Value> value(std::string_view sig, int depth = 0) {
    if (depth > 2 * kMaxDepth + 1) return fail("nested too deeply");
    Value v;
    v.sig = std::string(sig);
    switch (sig[0]) {
      case 'y':
        TRY(get(1, v.num));
        break;
      case 'b':
        TRY(get(4, v.num));
        if (v.num > 1) return fail("a boolean that is neither 0 nor 1");
        break;
      case 'n':
      case 'q':
        TRY(get(2, v.num));
        break;
      case 'i':
      case 'u':
      case 'h':
        TRY(get(4, v.num));
        break;
      case 'x':
      case 't':
      case 'd':
        TRY(get(8, v.num));
        break;
      case 's':
      case 'o': {
        uint64_t n = 0;
        TRY(get(4, n));
        TRY(text(n, v.str));
        break;
      }
      case 'g': {
        uint64_t n = 0;
        TRY(get(1, n));
        TRY(text(n, v.str));
        std::vector<std::string_view> types;
        if (!split_types(v.str, types)) return fail("a bad signature");
        break;
      }
      case 'v': {
        uint64_t n = 0;
        std::string inner;
        TRY(get(1, n));
        TRY(text(n, inner));
        if (inner.empty() || type_length(inner, 0, 0) != inner.size())
          return fail("a variant without one complete type");
        ASSIGN_OR_RETURN(Value in, value(inner, depth + 1));
        v.items.push_back(std::move(in));
        break;
      }
      case 'a': {
        uint64_t n = 0;
        TRY(get(4, n));
        if (n > (1u << 26)) return fail("an array over 64 MiB");
        std::string_view elem = sig.substr(1);
        TRY(skip_pad(alignment_of(elem[0])));
        if (n > d_.size() - pos_) return fail("an array longer than the message");
        size_t end = pos_ + n;
        while (pos_ < end) {
          ASSIGN_OR_RETURN(Value e, value(elem, depth + 1));
          v.items.push_back(std::move(e));
        }
        if (pos_ != end) return fail("an array whose elements overrun its length");
        break;
      }
      case '(':
      case '{': {
        std::vector<std::string_view> fields;
        if (!split_types(sig.substr(1, sig.size() - 2), fields)) return fail("a bad signature");
        TRY(skip_pad(8));
        for (auto f : fields) {
          ASSIGN_OR_RETURN(Value e, value(f, depth + 1));
          v.items.push_back(std::move(e));
        }
        break;
      }
      default:
        return fail("an unknown type");
    }
    return v;
  }

  base::Status skip_pad(size_t a) {
    while ((base_ + pos_) % a) {
      if (pos_ >= d_.size()) return fail("truncated");
      if (d_[pos_++] != '\0') return fail("padding that is not zero");
    }
    return base::ok();
  }

 private:
  base::Error fail(const std::string& why) const {
    return base::invalid("D-Bus message: " + why + " (at byte " + std::to_string(base_ + pos_) +
                         ")");
  }
  base::Status get(size_t bytes, uint64_t& out) {
    TRY(skip_pad(bytes));
    if (d_.size() - pos_ < bytes) return fail("truncated");
    out = 0;
    for (size_t i = 0; i < bytes; ++i)
      out |= static_cast<uint64_t>(static_cast<uint8_t>(d_[pos_ + i])) << (8 * i);
    pos_ += bytes;
    return base::ok();
  }
  base::Status text(uint64_t n, std::string& out) {
    if (n >= d_.size() - pos_) return fail("a string longer than the message");
    out.assign(d_.substr(pos_, n));
    if (out.find('\0') != std::string::npos) return fail("a NUL inside a string");
    if (d_[pos_ + n] != '\0') return fail("a string without its NUL");
    pos_ += n + 1;
    return base::ok();
  }

  std::string_view d_;
  size_t base_;
  size_t pos_ = 0;
};

// Header fields: the string ones by code, type and member, and the two others.
struct StringField {
  uint8_t code;
  const char* type;
  std::string Message::*member;
};
constexpr StringField kStringFields[] = {
    {1, "o", &Message::path},       {2, "s", &Message::interface},   {3, "s", &Message::member},
    {4, "s", &Message::error_name}, {6, "s", &Message::destination}, {7, "s", &Message::sender},
};
constexpr uint8_t kReplySerial = 5, kSignature = 8;

// The little-endian u32 at `at` (the caller checked the length).
uint32_t le32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
  return v;
}

}  // namespace

size_t complete_type_length(std::string_view sig) {
  return type_length(sig, 0, 0);
}

std::string Message::signature() const {
  std::string s;
  for (const auto& v : body) s += v.sig;
  return s;
}

std::string Message::error_text() const {
  return type == Type::error && !body.empty() && body[0].sig == "s" ? body[0].str : "";
}

Result<std::string> encode(const Message& m) {
  std::string body;
  Writer bw(body);
  for (const auto& v : m.body) {
    if (v.sig.empty() || complete_type_length(v.sig) != v.sig.size())
      return base::invalid("D-Bus body item of type `" + v.sig + "`: not one complete type");
    TRY(bw.value(v.sig, v));
  }
  if (body.size() > kMaxMessage) return base::invalid("D-Bus message body over 1 MiB");
  std::vector<Value> fields;
  auto field = [&](uint8_t code, Value v) {
    fields.push_back(Value::structure({Value::byte(code), Value::variant(std::move(v))}));
  };
  for (const auto& f : kStringFields)
    if (!(m.*f.member).empty()) field(f.code, Value{f.type, 0, m.*f.member, {}});
  if (m.reply_serial) field(kReplySerial, Value::u32(m.reply_serial));
  std::string sig = m.signature();
  if (!sig.empty()) field(kSignature, Value{"g", 0, sig, {}});
  std::string out;
  Writer w(out);
  w.put('l', 1);
  w.put(static_cast<uint8_t>(m.type), 1);
  w.put(m.flags, 1);
  w.put(1, 1);  // protocol version
  w.put(body.size(), 4);
  w.put(m.serial, 4);
  TRY(w.value("a(yv)", Value::array("(yv)", std::move(fields))));
  w.pad(8);
  out += body;
  return out;
}

Result<size_t> message_length(std::string_view head) {
  if (head.size() < kFixedHeader) return base::invalid("D-Bus message: truncated header");
  if (head[0] != 'l')
    return base::invalid(std::string("D-Bus message: byte order `") +
                         base::clip(head.substr(0, 1)) + "` (only little-endian `l` is read)");
  if (head[3] != 1) return base::invalid("D-Bus message: protocol version is not 1");
  uint64_t body = le32(head, 4), fields = le32(head, 12);
  if (body > kMaxMessage || fields > kMaxMessage)
    return base::Error(base::Category::resource_exhausted, "D-Bus message over 1 MiB");
  uint64_t header = kFixedHeader + fields;
  header = (header + 7) / 8 * 8;
  return static_cast<size_t>(header + body);
}

Result<Message> decode(std::string_view bytes) {
  ASSIGN_OR_RETURN(size_t total, message_length(bytes));
  if (bytes.size() != total) return base::invalid("D-Bus message: length does not match");
  Message m;
  uint8_t t = static_cast<uint8_t>(bytes[1]);
  if (t < 1 || t > 4) return base::invalid("D-Bus message: unknown type " + std::to_string(t));
  m.type = static_cast<Type>(t);
  m.flags = static_cast<uint8_t>(bytes[2]);
  const size_t body_len = le32(bytes, 4);
  m.serial = le32(bytes, 8);
  if (m.serial == 0) return base::invalid("D-Bus message: serial 0");
  Reader fr(bytes.substr(12, total - 12 - body_len), 12);
  ASSIGN_OR_RETURN(Value fields, fr.value("a(yv)"));
  TRY(fr.skip_pad(8));
  if (!fr.at_end()) return base::invalid("D-Bus message: header longer than its fields");
  std::string sig;
  for (const auto& f : fields.items) {
    const Value& v = f.items[1].items[0];
    auto want = [&](const char* s) -> base::Status {
      if (v.sig != s)
        return base::invalid("D-Bus message: header field " + std::to_string(f.items[0].num) +
                             " has type `" + v.sig + "`");
      return base::ok();
    };
    const uint64_t code = f.items[0].num;
    if (code == kReplySerial) {
      TRY(want("u"));
      m.reply_serial = static_cast<uint32_t>(v.num);
    } else if (code == kSignature) {
      TRY(want("g"));
      sig = v.str;
    }
    for (const auto& sf : kStringFields)  // unknown fields are ignored, as the specification says
      if (sf.code == code) {
        TRY(want(sf.type));
        m.*sf.member = v.str;
      }
  }
  std::vector<std::string_view> types;
  if (!split_types(sig, types)) return base::invalid("D-Bus message: bad body signature");
  Reader br(bytes.substr(total - body_len), total - body_len);
  for (auto ty : types) {
    ASSIGN_OR_RETURN(Value v, br.value(ty));
    m.body.push_back(std::move(v));
  }
  if (!br.at_end()) return base::invalid("D-Bus message: body longer than its signature");
  return m;
}

}  // namespace dbus
