#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdio>

#include "base/file.h"
#include "cli.h"
#include "oci/config.h"
#include "runtime/lifecycle.h"

namespace rune {

namespace {

// "32m", "1G", "512k", "1024", "-1" (no limit) as runc's memory flags take them.
base::Result<int64_t> ram_bytes(const std::string& flag, const std::string& v) {
  std::string_view s = v;
  int64_t n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (r.ec != std::errc() || r.ptr == s.data())
    return base::invalid("`--" + flag + "`: `" + v + "` is not a size such as 32m or 1g");
  std::string unit(r.ptr, s.data() + s.size());
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();
  int shift = unit.empty() || unit == "b" ? 0
              : unit == "k"               ? 10
              : unit == "m"               ? 20
              : unit == "g"               ? 30
              : unit == "t"               ? 40
              : unit == "p"               ? 50
                                          : -1;
  if (shift < 0 || (n < 0 && (n != -1 || shift != 0)) || (n > 0 && n > (INT64_MAX >> shift)))
    return base::invalid("`--" + flag + "`: `" + v + "` is not a size such as 32m or 1g");
  return n < 0 ? n : n << shift;
}

}  // namespace

int cmd_update(const Args& a, const Globals& g) {
  oci::Resources r;
  std::vector<oci::DeviceRule> devices;
  if (a.has("resources")) {
    std::string path = a.get("resources");
    auto text = path == "-" ? base::read_fd(STDIN_FILENO, 1 << 20, "standard input")
                            : base::read_file(path, 1 << 20);
    if (!text.ok()) return fail(std::move(text).error().wrap("`--resources`"), g);
    auto parsed = oci::parse_resources_json(*text, path == "-" ? "standard input" : path, &devices);
    if (!parsed.ok()) return fail(parsed.error(), g);
    r = std::move(parsed).value();
  }
  // Flags override the file, as in runc.
  auto mem = [&]() -> oci::MemoryResources& { return r.memory ? *r.memory : r.memory.emplace(); };
  auto cpu = [&]() -> oci::CpuResources& { return r.cpu ? *r.cpu : r.cpu.emplace(); };
  struct Ram {
    const char* flag;
    std::optional<int64_t> oci::MemoryResources::*field;
  } rams[] = {{"memory", &oci::MemoryResources::limit},
              {"memory-reservation", &oci::MemoryResources::reservation},
              {"memory-swap", &oci::MemoryResources::swap},
              {"kernel-memory", &oci::MemoryResources::kernel},
              {"kernel-memory-tcp", &oci::MemoryResources::kernel_tcp}};
  for (const auto& f : rams) {
    if (!a.has(f.flag)) continue;
    auto v = ram_bytes(f.flag, a.get(f.flag));
    if (!v.ok()) return fail(v.error(), g);
    mem().*f.field = *v;
  }
  struct U64 {
    const char* flag;
    std::optional<uint64_t> oci::CpuResources::*field;
  } u64s[] = {{"cpu-period", &oci::CpuResources::period},
              {"cpu-share", &oci::CpuResources::shares},
              {"cpu-rt-period", &oci::CpuResources::realtime_period}};
  for (const auto& f : u64s) {
    if (!a.has(f.flag)) continue;
    auto v = flag_number<uint64_t>(f.flag, a.get(f.flag));
    if (!v.ok()) return fail(v.error(), g);
    cpu().*f.field = *v;
  }
  struct I64 {
    const char* flag;
    std::optional<int64_t> oci::CpuResources::*field;
  } i64s[] = {{"cpu-quota", &oci::CpuResources::quota},
              {"cpu-rt-runtime", &oci::CpuResources::realtime_runtime}};
  for (const auto& f : i64s) {
    if (!a.has(f.flag)) continue;
    auto v = flag_number<int64_t>(f.flag, a.get(f.flag));
    if (!v.ok()) return fail(v.error(), g);
    cpu().*f.field = *v;
  }
  if (a.has("cpuset-cpus")) cpu().cpus = a.get("cpuset-cpus");
  if (a.has("cpuset-mems")) cpu().mems = a.get("cpuset-mems");
  if (a.has("pids-limit")) {
    auto v = flag_number<int64_t>("pids-limit", a.get("pids-limit"));
    if (!v.ok()) return fail(v.error(), g);
    r.pids_limit = *v;
  }
  if (a.has("blkio-weight")) {
    auto v = flag_number<uint16_t>("blkio-weight", a.get("blkio-weight"));
    if (!v.ok()) return fail(v.error(), g);
    if (!r.block_io) r.block_io.emplace();
    r.block_io->weight = *v;
  }
  for (const char* f : {"l3-cache-schema", "mem-bw-schema"})
    if (a.has(f))
      return fail(
          base::Error(base::Category::unimplemented, std::string("`--") + f +
                                                         "`: Intel RDT is not supported by this "
                                                         "version of rune"),
          g);
  runtime::Runtime rt(g.root);
  auto s = rt.update(a.positional[0], r, devices);
  return s.ok() ? 0 : fail(s.error(), g);
}

}  // namespace rune
