#include "linux/capabilities.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/file.h"

namespace kernel {

using base::Status;

Status set_oom_score_adj(pid_t pid, const std::optional<int>& adj) {
  if (!adj) return base::ok();
  TRY_WRAP(
      base::write_file("/proc/" + std::to_string(pid) + "/oom_score_adj", std::to_string(*adj)),
      "`process.oomScoreAdj`");
  return base::ok();
}

Status set_rlimits(pid_t pid, const std::vector<oci::Rlimit>& rlimits) {
  for (const auto& r : rlimits) {
    struct rlimit rl = {r.soft, r.hard};
    if (prlimit(pid, static_cast<__rlimit_resource>(r.resource), &rl, nullptr) != 0)
      return base::sys_error("`process.rlimits`: set " + r.type + " to " + std::to_string(r.soft) +
                             ":" + std::to_string(r.hard));
  }
  return base::ok();
}

static int last_cap() {
  static int last = [] {
    for (int c = 63; c > 0; --c)
      if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0) return c;
    return oci::kLastCapability;
  }();
  return last;
}

std::vector<std::string> drop_ungrantable_capabilities(oci::Capabilities& caps, int last) {
  std::vector<std::string> warnings;
  const uint64_t known = last >= 63 ? ~uint64_t{0} : (uint64_t{2} << last) - 1;
  struct Set {
    const char* name;
    uint64_t* mask;
  } sets[] = {{"bounding", &caps.bounding},
              {"effective", &caps.effective},
              {"inheritable", &caps.inheritable},
              {"permitted", &caps.permitted},
              {"ambient", &caps.ambient}};
  auto names = [](uint64_t mask) {
    std::string out;
    for (int cap = 0; cap < 64; ++cap)
      if (mask & (uint64_t{1} << cap))
        out += (out.empty() ? "" : ", ") + std::string(oci::capability_name(cap));
    return out;
  };
  for (auto& s : sets) {
    if (uint64_t unknown = *s.mask & ~known) {
      warnings.push_back("`process.capabilities." + std::string(s.name) + "`: " + names(unknown) +
                         " not known to this kernel (cap_last_cap " + std::to_string(last) +
                         "), skipped");
      *s.mask &= known;
    }
  }
  if (uint64_t stuck = caps.ambient & ~(caps.permitted & caps.inheritable)) {
    warnings.push_back("`process.capabilities.ambient`: " + names(stuck) +
                       " not both permitted and inheritable, so it cannot be raised; skipped");
    caps.ambient &= ~stuck;
  }
  return warnings;
}

std::vector<std::string> drop_ungrantable_capabilities(oci::Capabilities& caps) {
  return drop_ungrantable_capabilities(caps, last_cap());
}

static Status capset_all(uint64_t eff, uint64_t perm, uint64_t inh) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  data[0].effective = static_cast<uint32_t>(eff);
  data[1].effective = static_cast<uint32_t>(eff >> 32);
  data[0].permitted = static_cast<uint32_t>(perm);
  data[1].permitted = static_cast<uint32_t>(perm >> 32);
  data[0].inheritable = static_cast<uint32_t>(inh);
  data[1].inheritable = static_cast<uint32_t>(inh >> 32);
  if (syscall(SYS_capset, &hdr, data) != 0)
    return base::sys_error("`process.capabilities`: capset");
  return base::ok();
}

Status set_user_and_capabilities(const oci::User& user,
                                 const std::optional<oci::Capabilities>& caps) {
  oci::Capabilities c = caps.value_or(oci::Capabilities{});
  int last = last_cap();
  uint64_t known = last >= 63 ? ~uint64_t{0} : (uint64_t{2} << last) - 1;
  for (int cap = 0; cap <= last; ++cap) {
    if (c.bounding & (uint64_t{1} << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return base::sys_error(std::string("`process.capabilities.bounding`: drop ") +
                             oci::capability_name(cap));
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return base::sys_error("prctl(PR_SET_KEEPCAPS)");
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  if (setgroups(groups.size(), groups.data()) != 0) {
    // A rootless container's user namespace denies setgroups (its gid_map was written by an
    // unprivileged rune): without additional gids the process keeps the namespace's, as runc's.
    int err = errno;
    auto setgroups_file = base::read_file("/proc/self/setgroups", 64);
    bool denied = setgroups_file.ok() && setgroups_file->rfind("deny", 0) == 0;
    if (!(err == EPERM && denied && groups.empty()))
      return base::sys_error(std::string("`process.user.additionalGids`: setgroups") +
                                 (denied ? " (denied in a rootless container)" : ""),
                             err);
  }
  if (setresgid(user.gid, user.gid, user.gid) != 0)
    return base::sys_error("`process.user.gid`: setgid " + std::to_string(user.gid));
  if (setresuid(user.uid, user.uid, user.uid) != 0)
    return base::sys_error("`process.user.uid`: setuid " + std::to_string(user.uid));
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return base::sys_error("prctl(PR_SET_KEEPCAPS)");
  TRY(capset_all(c.effective & known, c.permitted & known, c.inheritable & known));
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return base::sys_error("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  for (int cap = 0; cap <= last; ++cap) {
    if (!(c.ambient & (uint64_t{1} << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
      return base::sys_error(std::string("`process.capabilities.ambient`: raise ") +
                             oci::capability_name(cap));
  }
  return base::ok();
}

}  // namespace kernel
