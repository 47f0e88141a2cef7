#include "rats/attesters/tsm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <string>

#include "base/file.h"
#include "rats/evidence.h"

namespace rats::tsm {

namespace {

constexpr int kAttempts = 3;
// Larger than any evidence the verifiers accept, so that an oversized blob is reported as such.
constexpr size_t kReadLimit = kMaxEvidenceSize;

// Writes `data` to an attribute that exists already (configfs creates them with the entry; no
// O_CREAT or O_TRUNC). configfs binary attributes commit on close, so the fd is closed here.
base::Status write_attr(const std::string& path, std::string_view data) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return base::sys_error("open `" + path + "` for writing");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(fd);
      return base::sys_error("write `" + path + "`", e);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return base::sys_error("write `" + path + "` (on close)");
  return base::ok();
}

base::Result<std::string> read_attr(const std::string& path) {
  return base::read_file(path, kReadLimit);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

// A name no other process or thread of this one uses at the same time.
std::string entry_name() {
  static std::atomic<uint64_t> counter{0};
  return "rats-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

base::Result<Blobs> run(const std::string& entry, std::string_view expected_provider,
                        std::span<const uint8_t, 64> report_data, std::optional<uint32_t> privlevel,
                        const Hooks& hooks) {
  if (privlevel) {
    TRY_WRAP(write_attr(entry + "/privlevel", std::to_string(*privlevel)),
             "configfs-tsm: setting privlevel " + std::to_string(*privlevel));
  }
  TRY_WRAP(write_attr(entry + "/inblob",
                      std::string_view(reinterpret_cast<const char*>(report_data.data()),
                                       report_data.size())),
           "configfs-tsm: writing the report data to inblob");
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(std::string before, read_attr(entry + "/generation"));
    auto out = read_attr(entry + "/outblob");
    if (!out.ok()) return std::move(out).error().wrap("configfs-tsm: reading outblob");
    if (out->empty()) return base::invalid("configfs-tsm: `" + entry + "/outblob` is empty");
    Blobs blobs;
    blobs.outblob.assign(out->begin(), out->end());
    std::string aux_path = entry + "/auxblob";
    if (base::path_exists(aux_path)) {
      auto aux = read_attr(aux_path);
      if (!aux.ok()) return std::move(aux).error().wrap("configfs-tsm: reading auxblob");
      blobs.auxblob.assign(aux->begin(), aux->end());
    }
    if (hooks.after_outblob) hooks.after_outblob(entry);
    ASSIGN_OR_RETURN(std::string after, read_attr(entry + "/generation"));
    if (trimmed(before) != trimmed(after)) {
      // Someone else wrote to this entry between our inblob and outblob: the blob may be theirs.
      if (attempt >= kAttempts) {
        return base::Error(base::Category::unavailable,
                           "configfs-tsm: `" + entry + "/generation` changed from " +
                               trimmed(before) + " to " + trimmed(after) +
                               " while reading outblob, " + std::to_string(kAttempts) +
                               " times: another writer uses the entry");
      }
      TRY_WRAP(write_attr(entry + "/inblob",
                          std::string_view(reinterpret_cast<const char*>(report_data.data()),
                                           report_data.size())),
               "configfs-tsm: rewriting inblob");
      continue;
    }
    ASSIGN_OR_RETURN(std::string provider, read_attr(entry + "/provider"));
    provider = trimmed(provider);
    if (provider != expected_provider) {
      return base::invalid("configfs-tsm: `" + entry + "/provider` is `" + provider +
                           "`, expected `" + std::string(expected_provider) + "`");
    }
    return blobs;
  }
}

}  // namespace

base::Result<Blobs> collect(const std::string& root, std::string_view expected_provider,
                            std::span<const uint8_t, 64> report_data,
                            std::optional<uint32_t> privlevel, const Hooks& hooks) {
  struct stat st;
  if (stat(root.c_str(), &st) != 0) {
    return base::sys_error("configfs-tsm report folder `" + root +
                           "` is not available (needs Linux >= 6.7 with configfs mounted and a "
                           "TDX or SEV-SNP guest)");
  }
  if (!S_ISDIR(st.st_mode)) {
    return base::invalid("configfs-tsm report folder `" + root + "` is not a directory");
  }
  std::string entry = root + "/" + entry_name();
  if (mkdir(entry.c_str(), 0700) != 0) {
    return base::sys_error("configfs-tsm: mkdir `" + entry + "`");
  }
  if (hooks.after_mkdir) hooks.after_mkdir(entry);
  auto result = run(entry, expected_provider, report_data, privlevel, hooks);
  if (hooks.before_rmdir) hooks.before_rmdir(entry);
  if (rmdir(entry.c_str()) != 0) {
    base::Error e = base::sys_error("configfs-tsm: rmdir `" + entry + "`");
    if (!result.ok()) {
      // Keep the first failure; say that the entry is left behind too.
      const base::Error& first = result.error();
      return base::Error(first.category(), first.message() + "; then " + e.what(), first.err());
    }
    return e;
  }
  return result;
}

}  // namespace rats::tsm
