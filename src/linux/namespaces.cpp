#include "linux/namespaces.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>

namespace kernel {

base::Result<NamespacePlan> plan_namespaces(const std::vector<oci::Namespace>& nss) {
  NamespacePlan p;
  for (size_t i = 0; i < nss.size(); ++i) {
    const auto& ns = nss[i];
    int flag = oci::ns_clone_flag(ns.type);
    if (ns.path.empty()) {
      if (ns.type == oci::NsType::cgroup)
        p.new_cgroup_ns = true;
      else
        p.clone_flags |= flag;
      continue;
    }
    std::string field = "`linux.namespaces[" + std::to_string(i) + "].path`";
    int fd = open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return base::sys_error(field + ": open `" + ns.path + "`");
    base::UniqueFd owned(fd);
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0)
      return base::sys_error(field + ": `" + ns.path + "` is not a namespace file", EINVAL);
    if (type != flag)
      return base::invalid(field + ": `" + ns.path + "` is not a " + oci::ns_config_name(ns.type) +
                           " namespace");
    p.joins.push_back({ns.type, std::move(owned)});
  }
  return p;
}

}  // namespace kernel
