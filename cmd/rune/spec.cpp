#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/file.h"
#include "cli.h"
#include "oci/spec_template.h"

namespace rune {

namespace {

base::Result<std::string> default_sim_pal() {
  auto pal = installed_file("liberpal-sim.so");
  if (!pal.ok())
    return base::Error(base::Category::not_found,
                       "`--enclave`: " + pal.error().message() + "; pass `--pal PATH`", ENOENT);
  return pal;
}

}  // namespace

int cmd_spec(const Args& a, const Globals& g) {
  std::string t;
  if (a.has("enclave")) {
    std::string pal;
    if (a.has("pal")) {
      char real[PATH_MAX];
      if (!realpath(a.get("pal").c_str(), real))
        return fail(base::sys_error("`--pal`: `" + a.get("pal") + "`"), g);
      pal = real;
    } else {
      auto d = default_sim_pal();
      if (!d.ok()) return fail(d.error(), g);
      pal = *d;
    }
    t = oci::enclave_spec_template(pal);
  } else if (a.has("pal")) {
    return fail(base::invalid("`--pal` needs `--enclave`"), g);
  } else {
    t = oci::spec_template();
  }
  // As runc: the caller's ids (runc spec --rootless run as root maps host id 0).
  if (a.has("rootless")) t = oci::rootless_spec(t, geteuid(), getegid());
  std::string dir = a.get("bundle", ".");
  std::string path = base::path_join(dir, "config.json");
  if (base::path_exists(path))
    return fail(
        base::Error(base::Category::already_exists, "File " + path + " exists. Remove it first"),
        g);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return fail(base::sys_error("create `" + path + "`"), g);
  ssize_t n = write(fd, t.data(), t.size());
  close(fd);
  if (n != static_cast<ssize_t>(t.size())) return fail(base::sys_error("write `" + path + "`"), g);
  return 0;
}

}  // namespace rune
