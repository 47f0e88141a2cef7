// Helpers for the runtimes' tests: fresh PAL instances, temp dirs, pipes, records.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "inclavare/pal.h"

namespace rt_test {

// build/runtimes/<name>.so
std::string PalPath(const std::string& name);

// A directory removed (recursively) with everything in it when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A private instance of a PAL: the .so is copied into a temp dir and dlopen'ed from there, so
// every test starts from a freshly loaded library (PAL state is global). The destructor calls
// pal_destroy (when exported and not disabled) so that no child outlives the test, then dlclose.
class FreshPal {
 public:
  explicit FreshPal(const std::string& name);
  ~FreshPal();
  FreshPal(const FreshPal&) = delete;
  FreshPal& operator=(const FreshPal&) = delete;
  bool loaded() const { return handle_ != nullptr; }
  const std::string& error() const { return error_; }
  void* sym(const char* name) const;
  template <class F>
  F fn(const char* name) const {
    return reinterpret_cast<F>(sym(name));
  }
  void skip_destroy() { skip_destroy_ = true; }

 private:
  TempDir dir_;
  void* handle_ = nullptr;
  std::string error_;
  bool skip_destroy_ = false;
};

// A NULL-terminated argv that owns its strings.
class Argv {
 public:
  Argv(std::initializer_list<std::string> l) : s_(l) {
    for (auto& x : s_) p_.push_back(x.data());
    p_.push_back(nullptr);
  }
  char** get() { return p_.data(); }
  nlohmann::json ToJson() const { return nlohmann::json(s_); }

 private:
  std::vector<std::string> s_;
  std::vector<char*> p_;
};

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& data, mode_t mode);
// One JSON object per line; a line that does not parse fails the calling test.
std::vector<nlohmann::json> ReadRecords(const std::string& path);
std::vector<std::string> Calls(const std::vector<nlohmann::json>& records);

struct Pipe {
  int r = -1, w = -1;
  Pipe();
  ~Pipe();
  void CloseWrite();
  std::string ReadAll();   // until EOF
  std::string ReadLine();  // up to and including '\n' (or EOF)
};

// stdio for a PAL call: fresh duplicates (the PAL owns and closes them). in < 0: /dev/null.
pal_stdio_fds MakeStdio(int in, int out, int err);

// Redirects fd 2 into a file until Finish().
class StderrCapture {
 public:
  StderrCapture();
  ~StderrCapture();
  std::string Finish();

 private:
  TempDir dir_;
  int saved_ = -1;
};

std::string Sha256Hex(const void* data, size_t len);
std::string Sha256Hex(const std::string& s);
std::string Hex(const uint8_t* p, size_t n);

// kill(pid, 0) says it no longer exists.
bool Gone(pid_t pid);

}  // namespace rt_test
