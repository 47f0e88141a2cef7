#include <fcntl.h>
#include <unistd.h>

#include "base/file.h"
#include "cli.h"
#include "oci/spec_template.h"

namespace rune {

int cmd_spec(const Args& a, const Globals& g) {
  if (a.has("rootless"))
    return fail(base::invalid(
                    "`--rootless`: rootless containers are not supported by this version of rune"),
                g);
  std::string dir = a.get("bundle", ".");
  std::string path = base::path_join(dir, "config.json");
  if (base::path_exists(path))
    return fail(
        base::Error(base::Category::already_exists, "File " + path + " exists. Remove it first"),
        g);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return fail(base::sys_error("create `" + path + "`"), g);
  std::string t = oci::spec_template();
  ssize_t n = write(fd, t.data(), t.size());
  close(fd);
  if (n != static_cast<ssize_t>(t.size())) return fail(base::sys_error("write `" + path + "`"), g);
  return 0;
}

}  // namespace rune
