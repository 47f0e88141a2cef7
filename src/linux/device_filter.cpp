#include "linux/device_filter.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "base/fd.h"

namespace kernel {

using base::Result;
using base::Status;

std::vector<oci::DeviceRule> container_device_rules(const std::vector<oci::DeviceRule>& rules) {
  std::vector<oci::DeviceRule> out = rules;
  if (rules.empty()) return out;
  struct Always {
    char type;
    int64_t major, minor;  // -1: any
    const char* access;
  };
  static const Always kAlways[] = {
      {'c', -1, -1, "m"}, {'b', -1, -1, "m"},    {'c', 1, 3, "rwm"}, {'c', 1, 8, "rwm"},
      {'c', 1, 7, "rwm"}, {'c', 5, 0, "rwm"},    {'c', 1, 5, "rwm"}, {'c', 1, 9, "rwm"},
      {'c', 5, 1, "rwm"}, {'c', 136, -1, "rwm"}, {'c', 5, 2, "rwm"}, {'c', 10, 200, "rwm"},
  };
  for (const auto& a : kAlways) {
    oci::DeviceRule r;
    r.allow = true;
    r.type = a.type;
    if (a.major >= 0) r.major = a.major;
    if (a.minor >= 0) r.minor = a.minor;
    r.access = a.access;
    out.push_back(r);
  }
  return out;
}

namespace {

uint8_t access_bits(const std::string& access) {
  uint8_t bits = 0;
  for (char c : access)
    bits |= c == 'r' ? kDevRead : c == 'w' ? kDevWrite : c == 'm' ? kDevMknod : 0;
  return bits;
}

std::string access_text(uint8_t bits) {
  std::string s;
  if (bits & kDevRead) s += 'r';
  if (bits & kDevWrite) s += 'w';
  if (bits & kDevMknod) s += 'm';
  return s;
}

using Key = std::tuple<char, int64_t, int64_t>;  // type, major, minor (-1: any)

std::string rule_text(const Key& k, uint8_t access) {
  auto n = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
  return std::string(1, std::get<0>(k)) + " " + n(std::get<1>(k)) + ":" + n(std::get<2>(k)) + " " +
         access_text(access);
}

}  // namespace

Result<DeviceRuleSet> reduce_device_rules(const std::vector<oci::DeviceRule>& rules,
                                          const std::vector<std::string>& fields) {
  bool default_allow = false;  // a new v1 child of a restricted parent: nothing is allowed
  std::map<Key, uint8_t> exceptions;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    const std::string& field =
        i < fields.size() ? fields[i] : std::string("linux.resources.devices");
    if (r.type == 'a') {  // resets the list: allow all or deny all
      default_allow = r.allow;
      exceptions.clear();
      continue;
    }
    Key key{r.type, r.major.value_or(-1), r.minor.value_or(-1)};
    uint8_t bits = access_bits(r.access);
    if (r.allow == !default_allow) {  // adds an exception
      exceptions[key] |= bits;
      continue;
    }
    // Removes (part of) an exception. Part of a wider wildcard exception cannot be removed: v1
    // would ignore the rule silently, leaving the device reachable. Refused, as runc does.
    const auto& [type, major, minor] = key;
    for (const Key& wider : {Key{type, -1, minor}, Key{type, major, -1}, Key{type, -1, -1}}) {
      if (wider == key) continue;
      auto it = exceptions.find(wider);
      if (it != exceptions.end() && (it->second & bits) != 0)
        return base::invalid("`" + field + "`: the rule `" + rule_text(key, bits) + "` (" +
                             (r.allow ? "allow" : "deny") + ") would punch a hole in the " +
                             (default_allow ? "denied" : "allowed") + " wildcard `" +
                             rule_text(wider, it->second) +
                             "`, which the devices cgroup cannot express");
    }
    auto it = exceptions.find(key);
    if (it == exceptions.end()) continue;
    it->second &= static_cast<uint8_t>(~bits);
    if (it->second == 0) exceptions.erase(it);
  }
  DeviceRuleSet set;
  set.default_allow = default_allow;
  for (const auto& [k, bits] : exceptions)
    set.exceptions.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), bits});
  std::sort(set.exceptions.begin(), set.exceptions.end(),
            [](const DeviceException& a, const DeviceException& b) {
              return std::tie(a.major, a.minor, a.type) < std::tie(b.major, b.minor, b.type);
            });
  return set;
}

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  std::memset(&i, 0, sizeof i);
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

constexpr uint8_t kLdxW = BPF_LDX | BPF_MEM | BPF_W;
constexpr uint8_t kAnd32Imm = BPF_ALU | BPF_AND | BPF_K;
constexpr uint8_t kRsh32Imm = BPF_ALU | BPF_RSH | BPF_K;
constexpr uint8_t kMov32Imm = BPF_ALU | BPF_MOV | BPF_K;
constexpr uint8_t kMov32Reg = BPF_ALU | BPF_MOV | BPF_X;
constexpr uint8_t kJneImm = BPF_JMP | BPF_JNE | BPF_K;
constexpr uint8_t kJneReg = BPF_JMP | BPF_JNE | BPF_X;
constexpr uint8_t kExit = BPF_JMP | BPF_EXIT;

}  // namespace

std::vector<bpf_insn> device_filter_program(const DeviceRuleSet& set) {
  // The context is struct bpf_cgroup_dev_ctx: u32 access_type (device type in the low 16 bits,
  // access in the high 16), u32 major, u32 minor.
  std::vector<bpf_insn> p = {
      insn(kLdxW, 2, 1, 0, 0),           // r2 = type
      insn(kAnd32Imm, 2, 0, 0, 0xffff),  //
      insn(kLdxW, 3, 1, 0, 0),           // r3 = access
      insn(kRsh32Imm, 3, 0, 0, 16),      //
      insn(kLdxW, 4, 1, 4, 0),           // r4 = major
      insn(kLdxW, 5, 1, 8, 0),           // r5 = minor
  };
  const int32_t on_match = set.default_allow ? 0 : 1;
  for (const auto& e : set.exceptions) {
    // Each test jumps to the next block when it fails: offsets are fixed once the block's
    // length is known.
    std::vector<size_t> jumps;
    jumps.push_back(p.size());
    p.push_back(insn(kJneImm, 2, 0, 0, e.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    if (e.access != (kDevRead | kDevWrite | kDevMknod)) {
      // The access asked for must be within the exception's: (r3 & access) == r3.
      p.push_back(insn(kMov32Reg, 1, 3, 0, 0));
      p.push_back(insn(kAnd32Imm, 1, 0, 0, e.access));
      jumps.push_back(p.size());
      p.push_back(insn(kJneReg, 1, 3, 0, 0));
    }
    if (e.major >= 0) {
      jumps.push_back(p.size());
      p.push_back(insn(kJneImm, 4, 0, 0, static_cast<int32_t>(e.major)));
    }
    if (e.minor >= 0) {
      jumps.push_back(p.size());
      p.push_back(insn(kJneImm, 5, 0, 0, static_cast<int32_t>(e.minor)));
    }
    p.push_back(insn(kMov32Imm, 0, 0, 0, on_match));
    p.push_back(insn(kExit, 0, 0, 0, 0));
    for (size_t j : jumps) p[j].off = static_cast<int16_t>(p.size() - j - 1);
  }
  p.push_back(insn(kMov32Imm, 0, 0, 0, set.default_allow ? 1 : 0));
  p.push_back(insn(kExit, 0, 0, 0, 0));
  return p;
}

std::string disassemble(const std::vector<bpf_insn>& program) {
  std::string out;
  for (size_t i = 0; i < program.size(); ++i) {
    const bpf_insn& x = program[i];
    std::string r = "r" + std::to_string(x.dst_reg), s = "r" + std::to_string(x.src_reg);
    std::string off = (x.off >= 0 ? "+" : "") + std::to_string(x.off);
    std::string imm = std::to_string(x.imm), line;
    switch (x.code) {
      case kLdxW:
        line = "ldxw " + r + ", [" + s + off + "]";
        break;
      case kAnd32Imm:
        line = "and32 " + r + ", " + imm;
        break;
      case kRsh32Imm:
        line = "rsh32 " + r + ", " + imm;
        break;
      case kMov32Imm:
        line = "mov32 " + r + ", " + imm;
        break;
      case kMov32Reg:
        line = "mov32 " + r + ", " + s;
        break;
      case kJneImm:
        line = "jne " + r + ", " + imm + ", " + off;
        break;
      case kJneReg:
        line = "jne " + r + ", " + s + ", " + off;
        break;
      case kExit:
        line = "exit";
        break;
      default:
        line = "code " + std::to_string(x.code);
    }
    out += std::to_string(i) + ": " + line + "\n";
  }
  return out;
}

namespace {

long bpf(int cmd, union bpf_attr* attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

// Ids of the device programs attached to the cgroup at `dirfd`.
Result<std::vector<uint32_t>> query(int dirfd) {
  std::vector<uint32_t> ids(64);
  for (int attempt = 0; attempt < 10; ++attempt) {
    union bpf_attr a;
    std::memset(&a, 0, sizeof a);
    a.query.target_fd = static_cast<uint32_t>(dirfd);
    a.query.attach_type = BPF_CGROUP_DEVICE;
    a.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
    a.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (bpf(BPF_PROG_QUERY, &a) == 0) {
      ids.resize(a.query.prog_cnt);
      return ids;
    }
    if (errno != ENOSPC) return base::sys_error("query the cgroup's device programs (bpf)");
    ids.resize(a.query.prog_cnt + 16);
  }
  return base::sys_error("query the cgroup's device programs (bpf)", EAGAIN);
}

}  // namespace

int attached_device_filters(const std::string& dir) {
  base::UniqueFd d(open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!d.valid()) return -1;
  auto ids = query(d.get());
  return ids.ok() ? static_cast<int>(ids->size()) : -1;
}

Status attach_device_filter(const std::string& dir, const std::vector<bpf_insn>& program) {
  base::UniqueFd d(open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!d.valid()) return base::sys_error("open cgroup `" + dir + "`");
  ASSIGN_OR_RETURN(std::vector<uint32_t> old_ids, query(d.get()));
  std::vector<base::UniqueFd> old;
  for (uint32_t id : old_ids) {
    union bpf_attr a;
    std::memset(&a, 0, sizeof a);
    a.prog_id = id;
    base::UniqueFd fd(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, &a)));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;  // detached meanwhile
      return base::sys_error("open the cgroup's device program " + std::to_string(id) + " (bpf)");
    }
    old.push_back(std::move(fd));
  }

  static const char kLicense[] = "Apache";
  std::vector<char> log;
  union bpf_attr a;
  std::memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = reinterpret_cast<uint64_t>(program.data());
  a.insn_cnt = static_cast<uint32_t>(program.size());
  a.license = reinterpret_cast<uint64_t>(kLicense);
  std::strncpy(a.prog_name, "rune_devices", sizeof a.prog_name - 1);
  base::UniqueFd prog(static_cast<int>(bpf(BPF_PROG_LOAD, &a)));
  if (!prog.valid()) {
    int err = errno;
    // Once more with the verifier's log, for the error.
    log.assign(1 << 16, '\0');
    a.log_buf = reinterpret_cast<uint64_t>(log.data());
    a.log_size = static_cast<uint32_t>(log.size());
    a.log_level = 1;
    (void)bpf(BPF_PROG_LOAD, &a);
    std::string why(log.data());
    if (why.size() > 1000) why = why.substr(why.size() - 1000);
    return base::sys_error(
        "load the device program (bpf)" + (why.empty() ? "" : ": verifier: " + why), err);
  }

  std::memset(&a, 0, sizeof a);
  a.target_fd = static_cast<uint32_t>(d.get());
  a.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  bool replaced = false;
  if (old.size() == 1) {
    a.attach_flags |= BPF_F_REPLACE;
    a.replace_bpf_fd = static_cast<uint32_t>(old[0].get());
    replaced = bpf(BPF_PROG_ATTACH, &a) == 0;
    if (!replaced && errno != EINVAL)  // EINVAL: a kernel without BPF_F_REPLACE
      return base::sys_error("attach the device program to `" + dir + "` (bpf)");
    a.attach_flags = BPF_F_ALLOW_MULTI;
    a.replace_bpf_fd = 0;
  }
  if (!replaced && bpf(BPF_PROG_ATTACH, &a) != 0)
    return base::sys_error("attach the device program to `" + dir + "` (bpf)");
  if (replaced) return base::ok();
  for (const auto& fd : old) {
    union bpf_attr x;
    std::memset(&x, 0, sizeof x);
    x.target_fd = static_cast<uint32_t>(d.get());
    x.attach_bpf_fd = static_cast<uint32_t>(fd.get());
    x.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &x) != 0 && errno != ENOENT)
      return base::sys_error("detach the previous device program from `" + dir + "` (bpf)");
  }
  return base::ok();
}

}  // namespace kernel
