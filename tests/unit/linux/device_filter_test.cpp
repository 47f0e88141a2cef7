// Tests of src/linux/device_filter.cpp: the reduction of device rules (v1 semantics, as runc's
// emulator), the instruction sequences of the device program, and what the program decides, run
// on a small interpreter of the instructions it uses.
#include "linux/device_filter.h"

#include <gtest/gtest.h>

namespace kernel {
namespace {

oci::DeviceRule rule(bool allow, char type, std::optional<int64_t> major,
                     std::optional<int64_t> minor, const std::string& access = "rwm") {
  oci::DeviceRule r;
  r.allow = allow;
  r.type = type;
  r.major = major;
  r.minor = minor;
  r.access = access;
  return r;
}

DeviceRuleSet reduce(const std::vector<oci::DeviceRule>& rules, std::string* error = nullptr) {
  auto s = reduce_device_rules(rules, {});
  if (!s.ok()) {
    if (error) *error = s.error().message();
    return {};
  }
  return *s;
}

std::string exceptions(const DeviceRuleSet& s) {
  std::string out;
  auto n = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
  for (const auto& e : s.exceptions) {
    std::string a;
    if (e.access & kDevRead) a += 'r';
    if (e.access & kDevWrite) a += 'w';
    if (e.access & kDevMknod) a += 'm';
    out += std::string(1, e.type) + " " + n(e.major) + ":" + n(e.minor) + " " + a + "\n";
  }
  return out;
}

// Runs the program on one access, as the kernel would: 1 allows, 0 denies.
int run(const std::vector<bpf_insn>& p, char type, uint8_t access, uint32_t major, uint32_t minor) {
  uint32_t ctx[3] = {static_cast<uint32_t>(type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR) |
                         (static_cast<uint32_t>(access) << 16),
                     major, minor};
  uint64_t r[11] = {};
  for (size_t pc = 0; pc < p.size(); ++pc) {
    const bpf_insn& x = p[pc];
    uint64_t& d = r[x.dst_reg];
    switch (x.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        EXPECT_EQ(x.src_reg, 1);
        d = ctx[x.off / 4];
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        d = static_cast<uint32_t>(d & static_cast<uint32_t>(x.imm));
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        d = static_cast<uint32_t>(d) >> x.imm;
        break;
      case BPF_ALU | BPF_MOV | BPF_K:
        d = static_cast<uint32_t>(x.imm);
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        d = static_cast<uint32_t>(r[x.src_reg]);
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (d != static_cast<uint64_t>(static_cast<int64_t>(x.imm))) pc += x.off;
        break;
      case BPF_JMP | BPF_JNE | BPF_X:
        if (d != r[x.src_reg]) pc += x.off;
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(r[0]);
      default:
        ADD_FAILURE() << "unexpected code " << int(x.code);
        return -1;
    }
  }
  ADD_FAILURE() << "ran off the end";
  return -1;
}

const char* kLoads =
    "0: ldxw r2, [r1+0]\n"
    "1: and32 r2, 65535\n"
    "2: ldxw r3, [r1+0]\n"
    "3: rsh32 r3, 16\n"
    "4: ldxw r4, [r1+4]\n"
    "5: ldxw r5, [r1+8]\n";

TEST(DeviceFilterTest, NoRulesDeniesEverything) {
  auto p = device_filter_program(reduce({}));
  EXPECT_EQ(disassemble(p), std::string(kLoads) +
                                "6: mov32 r0, 0\n"
                                "7: exit\n");
  EXPECT_EQ(run(p, 'c', kDevRead, 1, 3), 0);
}

TEST(DeviceFilterTest, AllowAllIsOneReturn) {
  auto p = device_filter_program(reduce({rule(true, 'a', {}, {})}));
  EXPECT_EQ(disassemble(p), std::string(kLoads) +
                                "6: mov32 r0, 1\n"
                                "7: exit\n");
  EXPECT_EQ(run(p, 'b', kDevWrite, 8, 0), 1);
}

TEST(DeviceFilterTest, AllowAllButOneBlockDevice) {
  auto p = device_filter_program(reduce({rule(true, 'a', {}, {}), rule(false, 'b', 8, 0)}));
  EXPECT_EQ(disassemble(p), std::string(kLoads) +
                                "6: jne r2, 1, +4\n"
                                "7: jne r4, 8, +3\n"
                                "8: jne r5, 0, +2\n"
                                "9: mov32 r0, 0\n"
                                "10: exit\n"
                                "11: mov32 r0, 1\n"
                                "12: exit\n");
  EXPECT_EQ(run(p, 'b', kDevRead, 8, 0), 0);
  EXPECT_EQ(run(p, 'b', kDevRead, 8, 1), 1);
  EXPECT_EQ(run(p, 'c', kDevRead, 8, 0), 1);
}

TEST(DeviceFilterTest, TypeAResetsWhatCameBefore) {
  // deny b 8:1, allow all, deny b 8:2: only 8:2 is denied (v1's behaviour, and runc's).
  auto s = reduce({rule(false, 'b', 8, 1), rule(true, 'a', {}, {}), rule(false, 'b', 8, 2)});
  EXPECT_TRUE(s.default_allow);
  EXPECT_EQ(exceptions(s), "b 8:2 rwm\n");
  auto p = device_filter_program(s);
  EXPECT_EQ(run(p, 'b', kDevRead, 8, 1), 1);
  EXPECT_EQ(run(p, 'b', kDevRead, 8, 2), 0);
}

// Docker 20.10's default rules, then the devices every container may use (appended by rune and
// by runc): one deny-all, allow exceptions, a deny of fuse that removes nothing.
std::vector<oci::DeviceRule> docker_default() {
  return {rule(false, 'a', {}, {}), rule(true, 'c', 1, 5),    rule(true, 'c', 1, 3),
          rule(true, 'c', 1, 9),    rule(true, 'c', 1, 8),    rule(true, 'c', 5, 0),
          rule(true, 'c', 5, 1),    rule(false, 'c', 10, 229)};
}

TEST(DeviceFilterTest, DockerDefaultRules) {
  auto s = reduce(container_device_rules(docker_default()));
  EXPECT_FALSE(s.default_allow);
  // Sorted by major, minor, type (wildcards first), as runc orders them.
  EXPECT_EQ(exceptions(s),
            "b *:* m\n"
            "c *:* m\n"
            "c 1:3 rwm\n"
            "c 1:5 rwm\n"
            "c 1:7 rwm\n"
            "c 1:8 rwm\n"
            "c 1:9 rwm\n"
            "c 5:0 rwm\n"
            "c 5:1 rwm\n"
            "c 5:2 rwm\n"
            "c 10:200 rwm\n"
            "c 136:* rwm\n");
  auto p = device_filter_program(s);
  std::string text = disassemble(p);
  EXPECT_EQ(text.substr(0, text.find("24: ")), std::string(kLoads) +
                                                   // b *:* m: the access must be within m
                                                   "6: jne r2, 1, +5\n"
                                                   "7: mov32 r1, r3\n"
                                                   "8: and32 r1, 1\n"
                                                   "9: jne r1, r3, +2\n"
                                                   "10: mov32 r0, 1\n"
                                                   "11: exit\n"
                                                   // c *:* m
                                                   "12: jne r2, 2, +5\n"
                                                   "13: mov32 r1, r3\n"
                                                   "14: and32 r1, 1\n"
                                                   "15: jne r1, r3, +2\n"
                                                   "16: mov32 r0, 1\n"
                                                   "17: exit\n"
                                                   // c 1:3 rwm: no access test
                                                   "18: jne r2, 2, +4\n"
                                                   "19: jne r4, 1, +3\n"
                                                   "20: jne r5, 3, +2\n"
                                                   "21: mov32 r0, 1\n"
                                                   "22: exit\n"
                                                   "23: jne r2, 2, +4\n");
  // c 136:* rwm: no minor test; then the default.
  EXPECT_NE(text.find("63: jne r2, 2, +3\n"
                      "64: jne r4, 136, +2\n"
                      "65: mov32 r0, 1\n"
                      "66: exit\n"
                      "67: mov32 r0, 0\n"
                      "68: exit\n"),
            std::string::npos)
      << text;
  ASSERT_EQ(p.size(), 69u);

  EXPECT_EQ(run(p, 'c', kDevRead | kDevWrite, 1, 3), 1);  // /dev/null
  EXPECT_EQ(run(p, 'c', kDevRead, 136, 7), 1);            // a pts
  EXPECT_EQ(run(p, 'c', kDevRead, 10, 229), 0);           // fuse
  EXPECT_EQ(run(p, 'b', kDevRead, 7, 0), 0);              // a loop device
  EXPECT_EQ(run(p, 'b', kDevMknod, 7, 0), 1);             // made, but not opened
  EXPECT_EQ(run(p, 'c', kDevMknod | kDevRead, 4, 1), 0);  // m alone is allowed, not m+r
}

TEST(DeviceFilterTest, AccessIsChecked) {
  auto s = reduce({rule(false, 'a', {}, {}), rule(true, 'b', 7, 0, "r")});
  auto p = device_filter_program(s);
  EXPECT_EQ(disassemble(p).substr(std::string(kLoads).size()),
            "6: jne r2, 1, +7\n"
            "7: mov32 r1, r3\n"
            "8: and32 r1, 2\n"
            "9: jne r1, r3, +4\n"
            "10: jne r4, 7, +3\n"
            "11: jne r5, 0, +2\n"
            "12: mov32 r0, 1\n"
            "13: exit\n"
            "14: mov32 r0, 0\n"
            "15: exit\n");
  EXPECT_EQ(run(p, 'b', kDevRead, 7, 0), 1);
  EXPECT_EQ(run(p, 'b', kDevWrite, 7, 0), 0);
  EXPECT_EQ(run(p, 'b', kDevRead | kDevWrite, 7, 0), 0);
  EXPECT_EQ(run(p, 'b', kDevRead, 7, 1), 0);
  EXPECT_EQ(run(p, 'c', kDevRead, 7, 0), 0);
}

TEST(DeviceFilterTest, LaterRulesRemovePartOfAnException) {
  // allow c 1:3 rwm, then deny its w: r and m stay; allowing w again brings it back.
  auto s = reduce({rule(false, 'a', {}, {}), rule(true, 'c', 1, 3), rule(false, 'c', 1, 3, "w")});
  EXPECT_EQ(exceptions(s), "c 1:3 rm\n");
  auto p = device_filter_program(s);
  EXPECT_EQ(run(p, 'c', kDevRead, 1, 3), 1);
  EXPECT_EQ(run(p, 'c', kDevWrite, 1, 3), 0);
  s = reduce({rule(false, 'a', {}, {}), rule(true, 'c', 1, 3), rule(false, 'c', 1, 3),
              rule(true, 'c', 1, 3, "w")});
  EXPECT_EQ(exceptions(s), "c 1:3 w\n");
  // A deny that matches no exception changes nothing.
  s = reduce({rule(false, 'a', {}, {}), rule(false, 'c', 4, 1)});
  EXPECT_EQ(exceptions(s), "");
}

TEST(DeviceFilterTest, HolesInWildcardsAreRefusedNamingTheRule) {
  // v1 would ignore the deny and leave 1:3 readable: refused, as runc does.
  auto s = reduce_device_rules(
      {rule(false, 'a', {}, {}), rule(true, 'c', {}, {}, "rwm"), rule(false, 'c', 1, 3, "r")},
      {"linux.resources.devices[0]", "linux.resources.devices[1]", "linux.resources.devices[2]"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "`linux.resources.devices[2]`: the rule `c 1:3 r` (deny) would punch a hole in the "
            "allowed wildcard `c *:* rwm`, which the devices cgroup cannot express");
  // The same in an allow-all list: allowing part of a denied wildcard.
  std::string err;
  reduce({rule(true, 'a', {}, {}), rule(false, 'b', 8, {}), rule(true, 'b', 8, 1)}, &err);
  EXPECT_NE(err.find("punch a hole in the denied wildcard `b 8:* rwm`"), std::string::npos) << err;
  // Removing access the wildcard does not grant is fine: c *:* m, deny c 1:3 r.
  EXPECT_EQ(exceptions(reduce({rule(false, 'a', {}, {}), rule(true, 'c', {}, {}, "m"),
                               rule(false, 'c', 1, 3, "r")})),
            "c *:* m\n");
}

TEST(DeviceFilterTest, ContainerRulesAppendTheAlwaysAllowedDevices) {
  EXPECT_TRUE(container_device_rules({}).empty());
  auto all = container_device_rules({rule(false, 'a', {}, {})});
  ASSERT_EQ(all.size(), 13u);
  EXPECT_TRUE(all[1].allow);
  EXPECT_EQ(all[1].type, 'c');
  EXPECT_FALSE(all[1].major);
  EXPECT_EQ(all[1].access, "m");
}

}  // namespace
}  // namespace kernel
