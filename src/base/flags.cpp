#include "base/flags.h"

namespace base::flags {

namespace {

const Flag* find(std::span<const Flag> flags, std::string_view name) {
  for (const Flag& f : flags)
    if (name == f.name || (name.size() == 1 && f.short_name != 0 && name[0] == f.short_name))
      return &f;
  return nullptr;
}

std::string for_context(std::string_view context) {
  return context.empty() ? "" : " for `" + std::string(context) + "`";
}

}  // namespace

std::string Args::get(std::string_view name, std::string_view def) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string(def) : it->second.back();
}

const std::vector<std::string>& Args::all(std::string_view name) const {
  static const std::vector<std::string> kNone;
  auto it = values_.find(name);
  return it == values_.end() ? kNone : it->second;
}

Result<Args> parse(std::span<const Flag> flags, std::span<const std::string> args, Order order,
                   std::string_view context) {
  Args a;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (flags_done || word.size() < 2 || word[0] != '-') {
      a.positional.push_back(word);
      if (order == Order::flags_first) flags_done = true;
      continue;
    }
    if (word == "--") {
      flags_done = true;
      continue;
    }
    std::string_view name(word);
    name.remove_prefix(word[1] == '-' ? 2 : 1);
    std::string_view value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Flag* flag = find(flags, name);
    if (flag == nullptr && (name == "help" || name == "h")) {
      a.help = true;
      continue;
    }
    if (flag == nullptr) return invalid("unknown flag `" + word + "`" + for_context(context));
    std::string flag_name = "--" + std::string(flag->name);
    if (flag->kind == Kind::value) {
      if (!has_value) {
        if (i + 1 >= args.size()) return invalid("flag `" + flag_name + "` needs a value");
        value = args[++i];
      }
    } else {
      if (has_value && value != "true" && value != "false")
        return invalid("flag `" + flag_name + "` takes no value, got `" + std::string(value) + "`");
      if (value == "false") {
        if (auto it = a.values_.find(flag->name); it != a.values_.end()) a.values_.erase(it);
        continue;
      }
      value = "true";
    }
    if (flag->name == "help") a.help = true;
    auto it = a.values_.find(flag->name);
    if (it == a.values_.end()) it = a.values_.emplace(std::string(flag->name), 0).first;
    it->second.emplace_back(value);
  }
  return a;
}

std::string help_lines(std::span<const Flag> flags, int name_width) {
  std::string out;
  const std::string indent(static_cast<size_t>(name_width) + 3, ' ');
  for (const Flag& f : flags) {
    if (f.hidden) continue;
    std::string names;
    if (f.short_name != 0) names = std::string("-") + f.short_name + ", ";
    names += "--";
    names += f.name;
    if (f.kind == Kind::value) {
      names += ' ';
      names += f.value_name;
    }
    if (names.size() < static_cast<size_t>(name_width)) names.resize(name_width, ' ');
    out += "  " + names + " ";
    std::string_view help = f.help;
    for (bool first = true;; first = false) {
      size_t nl = help.find('\n');
      if (!first) out += indent;
      out += help.substr(0, nl);
      out += '\n';
      if (nl == std::string_view::npos) break;
      help.remove_prefix(nl + 1);
    }
  }
  return out;
}

}  // namespace base::flags
