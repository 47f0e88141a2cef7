// Pre-built enclaves at the PAL: liberpal-sim's size= memory (cold), pal_prebuild's entries, the
// warm pal_init and each of its checks (crafted memfds and liberpal-sim-tamper's spoiled entries),
// and abitest-v3's token entries. Everything in-process, with fresh copies of the libraries.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "build_id.h"
#include "pal_test_util.h"
#include "sha256.h"

namespace {

using rt_test::FreshPal;
using rt_test::ReadFile;
using rt_test::ReadRecords;
using rt_test::Sha256Hex;
using rt_test::StderrCapture;
using rt_test::TempDir;

constexpr uint64_t kHeader = 4096;
constexpr uint64_t k4M = 4u << 20;
constexpr int kAllSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;

struct Pal {
  explicit Pal(const char* name = "liberpal-sim") : pal(name) {
    EXPECT_TRUE(pal.loaded()) << pal.error();
    init = pal.fn<pal_init_v3_fn>("pal_init");
    prebuild = pal.fn<pal_prebuild_fn>("pal_prebuild");
  }
  int Init(const std::string& args, int fd = -1, uint64_t addr = 0) {
    pal_attr_v3_t attr = {{args.c_str(), "error"}, fd, addr};
    return init(&attr);
  }
  FreshPal pal;
  pal_init_v3_fn init;
  pal_prebuild_fn prebuild;
};

struct Entry {
  int fd = -1;
  uint64_t addr = 0;
  nlohmann::json desc;
  ~Entry() {
    if (fd >= 0) close(fd);
  }
  int Release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

// Builds an entry with a fresh copy of `lib`; the test fails if it cannot.
void Build(const char* lib, const std::string& args, Entry* e) {
  Pal b(lib);
  char desc[PAL_PREBUILD_DESC_MAX];
  ASSERT_EQ(b.prebuild(args.c_str(), &e->fd, &e->addr, desc, sizeof desc), 0);
  e->desc = nlohmann::json::parse(desc);
}

// The measurement stream of `size` zero bytes, computed here from the layout docs/pal-api.md
// gives (ECREATE, then per page EADD and per 256 bytes EEXTEND + data).
std::string ZeroHeapDigest(uint64_t size) {
  auto record = [](sha256_ctx* h, const char* op, uint64_t a, uint64_t b) {
    uint8_t r[64] = {};
    memcpy(r, op, strlen(op));
    memcpy(r + 8, &a, 8);  // x86-64: little-endian
    memcpy(r + 16, &b, 8);
    sha256_update(h, r, sizeof r);
  };
  static const uint8_t zeros[256] = {};
  sha256_ctx h;
  sha256_init(&h);
  record(&h, "ECREATE", 1, size);
  for (uint64_t off = 0; off < size; off += 4096) {
    record(&h, "EADD", off, 0x203);
    for (uint64_t c = 0; c < 4096; c += 256) {
      record(&h, "EEXTEND", off + c, 0);
      sha256_update(&h, zeros, sizeof zeros);
    }
  }
  uint8_t d[32];
  sha256_final(&h, d);
  return rt_test::Hex(d, 32);
}

// Whether /proc/self/fd links to the inode of `st`.
bool OpenHere(const struct stat& st) {
  for (int fd = 0; fd < 4096; fd++) {
    struct stat o;
    if (fstat(fd, &o) == 0 && o.st_dev == st.st_dev && o.st_ino == st.st_ino) return true;
  }
  return false;
}

bool Mapped(uint64_t addr) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  char want[32];
  snprintf(want, sizeof want, "%llx-", static_cast<unsigned long long>(addr));
  while (std::getline(maps, line))
    if (line.rfind(want, 0) == 0) return true;
  return false;
}

TEST(SimMemory, WithoutSizeNothingChangesAndNothingIsPrebuilt) {
  TempDir d;
  Pal p;
  const std::string args = "measurement-log=" + d.file("m.log");
  char desc[PAL_PREBUILD_DESC_MAX];
  int fd = -1;
  uint64_t addr = 0;
  EXPECT_EQ(p.prebuild(args.c_str(), nullptr, nullptr, desc, sizeof desc), -ENOTSUP);
  EXPECT_EQ(p.prebuild(args.c_str(), &fd, &addr, desc, sizeof desc), -ENOTSUP);
  EXPECT_EQ(p.prebuild((args + " size=4M no-epm").c_str(), &fd, &addr, desc, sizeof desc),
            -ENOTSUP);
  EXPECT_EQ(fd, -1);
  ASSERT_EQ(p.Init(args), 0);
  EXPECT_EQ(ReadFile(d.file("m.log")),
            "config " + Sha256Hex(args) + " liberpal-sim v3 log_level=error\n");
}

TEST(SimMemory, ColdInitWritesAndMeasuresEveryPage) {
  TempDir d;
  Pal p;
  const std::string args = "measurement-log=" + d.file("m.log") + " size=4M no-epm";
  ASSERT_EQ(p.Init(args), 0);
  EXPECT_EQ(ReadFile(d.file("m.log")), "config " + Sha256Hex(args) +
                                           " liberpal-sim v3 log_level=error\nmemory " +
                                           ZeroHeapDigest(k4M) + " size=4194304 pages=1024\n");
}

// RssAnon of this process, in KiB.
long RssAnonKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  return -1;
}

TEST(SimMemory, ColdPagesAreResidentNotOnlyMapped) {
  Pal p;
  const long before = RssAnonKiB();
  ASSERT_EQ(p.Init("size=16M"), 0);
  EXPECT_GE(RssAnonKiB() - before, 16 * 1024 * 9 / 10);
}

TEST(SimMemory, MalformedSizesAreRefused) {
  for (const char* bad : {"size=", "size=0", "size=4097", "size=1T", "size=65G", "size=-4K",
                          "size=4MB", "size=99999999999999999999999"}) {
    Pal p;
    StderrCapture err;
    EXPECT_EQ(p.Init(bad), -EINVAL) << bad;
    EXPECT_NE(err.Finish().find(std::string("bad argument `") + bad + "`"), std::string::npos)
        << bad;
    char desc[64];
    EXPECT_EQ(p.prebuild(bad, nullptr, nullptr, desc, sizeof desc), -EINVAL) << bad;
  }
  for (const char* good : {"size=4096", "size=64K", "size=64k", "size=1m"}) {
    Pal p;
    EXPECT_EQ(p.Init(good), 0) << good;
  }
}

TEST(SimPrebuild, DescribeGivesTheEntrySize) {
  Pal p;
  char desc[PAL_PREBUILD_DESC_MAX];
  ASSERT_EQ(p.prebuild("size=4M", nullptr, nullptr, desc, sizeof desc), 0);
  auto j = nlohmann::json::parse(desc);
  EXPECT_EQ(j["size"], kHeader + k4M);
  EXPECT_FALSE(j.contains("instance"));
  char tiny[8];
  EXPECT_EQ(p.prebuild("size=4M", nullptr, nullptr, tiny, sizeof tiny), -ENOBUFS);
  EXPECT_EQ(p.prebuild(std::string(2049, 'x').c_str(), nullptr, nullptr, desc, sizeof desc),
            -E2BIG);
}

TEST(SimPrebuild, AnEntryIsASealedMemfdAtARandomAlignedBase) {
  Entry a, b;
  Build("liberpal-sim", "size=4M", &a);
  Build("liberpal-sim", "size=4M", &b);
  ASSERT_GE(a.fd, 0);
  EXPECT_EQ(fcntl(a.fd, F_GET_SEALS) & kAllSeals, kAllSeals);
  EXPECT_NE(fcntl(a.fd, F_GETFD) & FD_CLOEXEC, 0);
  struct stat st;
  ASSERT_EQ(fstat(a.fd, &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kHeader + k4M);
  EXPECT_EQ(a.addr % (2u << 20), 0u);
  EXPECT_GE(a.addr, 16ull << 40);
  EXPECT_LT(a.addr + k4M, 64ull << 40);
  EXPECT_EQ(a.desc["addr"], a.addr);
  EXPECT_EQ(a.desc["digest"], ZeroHeapDigest(k4M));
  ASSERT_TRUE(a.desc["instance"].is_string());
  EXPECT_EQ(a.desc["instance"].get<std::string>().size(), 32u);
  EXPECT_NE(a.desc["instance"], b.desc["instance"]);
  EXPECT_NE(a.addr, b.addr);  // 1 in 24,576 to collide
  // Nobody can change it: write, a shared writable mapping, growing, shrinking.
  EXPECT_EQ(pwrite(a.fd, "x", 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0), MAP_FAILED);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(ftruncate(a.fd, 0), -1);
  EXPECT_EQ(fcntl(a.fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1);
}

TEST(SimPrebuild, WarmInitLogsWhatColdLogsAndMapsTheEntryPrivately) {
  TempDir d;
  const std::string args = "measurement-log=" + d.file("m.log") + " size=4M";
  std::string cold;
  {
    Pal p;
    ASSERT_EQ(p.Init(args), 0);
    cold = ReadFile(d.file("m.log"));
  }
  unlink(d.file("m.log").c_str());
  Entry e;
  Build("liberpal-sim", args, &e);
  struct stat st;
  ASSERT_EQ(fstat(e.fd, &st), 0);
  Pal p;
  ASSERT_EQ(p.Init(args, e.Release(), e.addr), 0);
  EXPECT_EQ(ReadFile(d.file("m.log")), cold);
  EXPECT_FALSE(OpenHere(st)) << "pal_init keeps the entry's fd";
  EXPECT_TRUE(Mapped(e.addr));
  // The private mapping: writable here, copy-on-write.
  auto* mem = reinterpret_cast<volatile uint8_t*>(e.addr);
  mem[0] = 1;
  EXPECT_EQ(mem[0], 1);
}

TEST(SimPrebuild, EveryWarmCheckRefusesWithEbadfdAndColdStillWorks) {
  TempDir d;
  const std::string args = "size=4M";
  struct Case {
    const char* tamper;
    const char* check;
  } cases[] = {{"seal", "seals:"},      {"size", "size:"},      {"magic", "magic:"},
               {"version", "version:"}, {"build", "build-id:"}, {"args", "args:"},
               {"addr", "addr:"}};
  for (const auto& c : cases) {
    const std::string targs = args + " tamper=" + c.tamper;
    Entry e;
    Build("liberpal-sim-tamper", targs, &e);
    ASSERT_GE(e.fd, 0) << c.tamper;
    struct stat st;
    ASSERT_EQ(fstat(e.fd, &st), 0);
    Pal p("liberpal-sim-tamper");
    StderrCapture err;
    EXPECT_EQ(p.Init(targs, e.Release(), e.addr), -EBADFD) << c.tamper;
    const std::string msg = err.Finish();
    EXPECT_NE(msg.find("refused the pre-built enclave"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.check), std::string::npos) << c.tamper << ": " << msg;
    EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 1) << msg;
    EXPECT_FALSE(OpenHere(st)) << c.tamper << ": the refused fd is still open";
    EXPECT_FALSE(Mapped(e.addr)) << c.tamper;
    EXPECT_EQ(p.Init(targs), 0) << c.tamper << ": cold after a refusal";
  }
}

TEST(SimPrebuild, CraftedEntriesAreRefused) {
  const std::string args = "size=4M";
  // Not a memfd: a pipe (no seals at all), and a plain file (on tmpfs, F_GET_SEALS answers
  // F_SEAL_SEAL; elsewhere EINVAL): either way the seals check refuses it.
  {
    int pfd[2];
    ASSERT_EQ(pipe2(pfd, O_CLOEXEC), 0);
    close(pfd[1]);
    Pal p;
    StderrCapture err;
    EXPECT_EQ(p.Init(args, pfd[0], 16ull << 40), -EBADFD);
    EXPECT_NE(err.Finish().find("seals: fd " + std::to_string(pfd[0]) + " is not a memfd"),
              std::string::npos);
    EXPECT_EQ(fcntl(pfd[0], F_GETFD), -1) << "closed on refusal";
    EXPECT_EQ(p.Init(args), 0);
  }
  {
    TempDir d;
    int fd = open(d.file("f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    Pal p;
    StderrCapture err;
    EXPECT_EQ(p.Init(args, fd, 16ull << 40), -EBADFD);
    EXPECT_NE(err.Finish().find("refused the pre-built enclave (fd " + std::to_string(fd) +
                                ", addr 0x100000000000): seals: "),
              std::string::npos);
    EXPECT_EQ(fcntl(fd, F_GETFD), -1) << "closed on refusal";
    EXPECT_EQ(p.Init(args), 0);
  }
  // Another liberpal-sim's args (size=8M), or entries handed for args without size=.
  {
    Entry e;
    Build("liberpal-sim", "size=8M", &e);
    Pal p;
    StderrCapture err;
    EXPECT_EQ(p.Init(args, e.Release(), e.addr), -EBADFD);
    EXPECT_NE(err.Finish().find("size:"), std::string::npos);
  }
  {
    Entry e;
    Build("liberpal-sim", args, &e);
    Pal p;
    StderrCapture err;
    EXPECT_EQ(p.Init("quiet", e.Release(), e.addr), -EBADFD);
    EXPECT_NE(err.Finish().find("args: no size="), std::string::npos);
  }
  // An occupied address.
  {
    Entry e;
    Build("liberpal-sim", args, &e);
    void* squat = mmap(reinterpret_cast<void*>(e.addr + (1u << 20)), 4096, PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    ASSERT_EQ(squat, reinterpret_cast<void*>(e.addr + (1u << 20)));
    Pal p;
    StderrCapture err;
    EXPECT_EQ(p.Init(args, e.Release(), e.addr), -EBADFD);
    EXPECT_NE(err.Finish().find("occupied"), std::string::npos);
    munmap(squat, 4096);
  }
  // An entry of liberpal-sim-tamper (no tamper) is another build: refused by liberpal-sim.
  {
    Entry e;
    Build("liberpal-sim-tamper", args, &e);
    Pal p;
    StderrCapture err;
    EXPECT_EQ(p.Init(args, e.Release(), e.addr), -EBADFD);
    EXPECT_NE(err.Finish().find("build-id:"), std::string::npos);
  }
  // fd -1 with an address, or a negative fd below -1.
  {
    Pal p;
    StderrCapture err;
    EXPECT_EQ(p.Init(args, -1, 16ull << 40), -EINVAL);
    EXPECT_EQ(p.Init(args, -5, 0), -EINVAL);
    err.Finish();
    EXPECT_EQ(p.Init(args), 0);
  }
}

TEST(BuildId, TheLoadedPalAndItsFileAgree) {
  FreshPal pal("liberpal-sim");
  ASSERT_TRUE(pal.loaded());
  uint8_t loaded[BUILD_ID_MAX], file[BUILD_ID_MAX];
  int n = build_id_of_loaded(pal.sym("pal_init"), loaded, sizeof loaded);
  ASSERT_EQ(n, 20);
  int fd = open(rt_test::PalPath("liberpal-sim").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(build_id_of_file(fd, file, sizeof file), 20);
  close(fd);
  EXPECT_EQ(memcmp(loaded, file, 20), 0);
  EXPECT_EQ(build_id_of_loaded(pal.sym("pal_init"), loaded, 8), -ENOBUFS);
  EXPECT_EQ(build_id_of_loaded(reinterpret_cast<void*>(8), loaded, sizeof loaded), -ENOENT);
  fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    EXPECT_EQ(build_id_of_file(fd, file, sizeof file), -ENOEXEC);
    close(fd);
  }
}

TEST(AbitestPrebuild, InitRecordsTheTokenAndAddrSentAndClosesTheFd) {
  TempDir d;
  const std::string args = "record=" + d.file("rec");
  Entry e;
  Build("liberpal-abitest-v3", args, &e);
  ASSERT_GE(e.fd, 0);
  EXPECT_EQ(fcntl(e.fd, F_GET_SEALS) & kAllSeals, kAllSeals);
  const std::string token = e.desc["instance"];
  struct stat st;
  ASSERT_EQ(fstat(e.fd, &st), 0);
  Pal p("liberpal-abitest-v3");
  ASSERT_EQ(p.Init(args, e.Release(), e.addr), 0);
  EXPECT_FALSE(OpenHere(st));
  auto recs = ReadRecords(d.file("rec"));
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs.back()["call"], "init");
  EXPECT_EQ(recs.back()["fd_token"], token);
  EXPECT_EQ(recs.back()["addr"], e.addr);
  EXPECT_EQ(token.size(), 32u);
}

TEST(AbitestPrebuild, FailAtPrebuild) {
  Pal p("liberpal-fail");
  char desc[PAL_PREBUILD_DESC_MAX];
  int fd = -1;
  uint64_t addr = 0;
  EXPECT_EQ(p.prebuild("fail=prebuild:negerrno", &fd, &addr, desc, sizeof desc), -ENOEXEC);
  EXPECT_EQ(p.prebuild("fail=init:negerrno", &fd, &addr, desc, sizeof desc), 0);
  if (fd >= 0) close(fd);
}

}  // namespace
