#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/file.h"
#include "cli.h"
#include "oci/spec_template.h"

namespace rune {

namespace {

// The liberpal-sim.so installed with this rune (the configured libdir, or lib/ next to the bin/
// rune runs from), else the one in the build tree this rune was built in.
base::Result<std::string> default_sim_pal() {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::vector<std::string> candidates = {RUNE_INSTALL_PAL_DIR "/liberpal-sim.so"};
  if (n > 0) {
    std::string dir(exe, static_cast<size_t>(n));
    dir = dir.substr(0, dir.find_last_of('/'));
    candidates.push_back(dir + "/../lib/inclavare-containers/liberpal-sim.so");
    candidates.push_back(dir + "/../lib64/inclavare-containers/liberpal-sim.so");
  }
  candidates.push_back(RUNE_BUILD_PAL_DIR "/liberpal-sim.so");
  for (const auto& c : candidates) {
    char real[PATH_MAX];
    if (realpath(c.c_str(), real)) return std::string(real);
  }
  return base::Error(base::Category::not_found,
                     "`--enclave`: no liberpal-sim.so installed with this rune (looked in " +
                         candidates.front() + " and " + candidates.back() + "); pass `--pal PATH`",
                     ENOENT);
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
