#include "pal_test_util.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sha256.h"

namespace rt_test {

std::string PalPath(const std::string& name) {
  return std::string(RT_PAL_DIR) + "/" + name + ".so";
}

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/rt-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) ADD_FAILURE() << "mkdtemp: " << strerror(errno);
  path_ = buf.data();
  chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  nftw(
      path_.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return remove(p); },
      16, FTW_DEPTH | FTW_PHYS);
}

FreshPal::FreshPal(const std::string& name) {
  std::string copy = dir_.file(name + ".so");
  WriteFile(copy, ReadFile(PalPath(name)), 0755);
  handle_ = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) error_ = dlerror();
}

FreshPal::~FreshPal() {
  if (!handle_) return;
  if (!skip_destroy_)
    if (auto destroy = fn<pal_destroy_fn>("pal_destroy")) destroy();
  dlclose(handle_);
}

void* FreshPal::sym(const char* name) const {
  return handle_ ? dlsym(handle_, name) : nullptr;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  fchmod(fd, mode);
  close(fd);
}

std::vector<nlohmann::json> ReadRecords(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a JSON line: " << line << ": " << e.what();
    }
  }
  return out;
}

std::vector<std::string> Calls(const std::vector<nlohmann::json>& records) {
  std::vector<std::string> calls;
  for (const auto& r : records) calls.push_back(r.value("call", std::string("?")));
  return calls;
}

Pipe::Pipe() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) ADD_FAILURE() << "pipe2: " << strerror(errno);
  r = p[0];
  w = p[1];
}

Pipe::~Pipe() {
  if (r >= 0) close(r);
  CloseWrite();
}

void Pipe::CloseWrite() {
  if (w >= 0) close(w);
  w = -1;
}

std::string Pipe::ReadAll() {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(r, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Pipe::ReadLine() {
  std::string out;
  char c;
  while (read(r, &c, 1) == 1) {
    out.push_back(c);
    if (c == '\n') break;
  }
  return out;
}

pal_stdio_fds MakeStdio(int in, int out, int err) {
  pal_stdio_fds s;
  s.stdin = in >= 0 ? fcntl(in, F_DUPFD_CLOEXEC, 3) : open("/dev/null", O_RDONLY | O_CLOEXEC);
  s.stdout = fcntl(out, F_DUPFD_CLOEXEC, 3);
  s.stderr = fcntl(err, F_DUPFD_CLOEXEC, 3);
  return s;
}

StderrCapture::StderrCapture() {
  fflush(stderr);
  saved_ = fcntl(2, F_DUPFD_CLOEXEC, 3);
  int fd = open(dir_.file("stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  dup2(fd, 2);
  close(fd);
}

StderrCapture::~StderrCapture() {
  Finish();
}

std::string StderrCapture::Finish() {
  if (saved_ < 0) return {};
  fflush(stderr);
  dup2(saved_, 2);
  close(saved_);
  saved_ = -1;
  return ReadFile(dir_.file("stderr"));
}

std::string Hex(const uint8_t* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) {
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 0xf]);
  }
  return s;
}

std::string Sha256Hex(const void* data, size_t len) {
  uint8_t d[32];
  sha256(data, len, d);
  return Hex(d, 32);
}

std::string Sha256Hex(const std::string& s) {
  return Sha256Hex(s.data(), s.size());
}

bool Gone(pid_t pid) {
  return kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace rt_test
