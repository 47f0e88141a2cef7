// The "sim" attester: quotes of the sim TEE for this program (sim_tee.h).
#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <mutex>
#include <optional>

#include <openssl/evp.h>

#include "base/fd.h"
#include "rats/crypto/openssl_util.h"
#include "rats/sim/sim_tee.h"

namespace rats::sim {

namespace {

base::Result<Bytes<32>> hash_file(const char* path) {
  base::UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return base::sys_error(std::string("open `") + path + "`");
  crypto::MdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
    return crypto::internal("EVP_DigestInit_ex failed");
  std::vector<uint8_t> buf(1 << 16);
  for (;;) {
    ssize_t n = read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::sys_error(std::string("read `") + path + "`");
    if (n == 0) break;
    if (EVP_DigestUpdate(md.get(), buf.data(), static_cast<size_t>(n)) != 1)
      return crypto::internal("EVP_DigestUpdate failed");
  }
  Bytes<32> out{};
  unsigned len = 0;
  if (EVP_DigestFinal_ex(md.get(), out.data(), &len) != 1 || len != out.size())
    return crypto::internal("EVP_DigestFinal_ex failed");
  return out;
}

class SimAttester final : public Attester {
 public:
  SimAttester(SimTee tee, EnclaveIdentity id) : tee_(std::move(tee)), id_(id) {}
  std::string_view name() const override { return "sim"; }
  base::Result<std::vector<uint8_t>> collect(
      std::span<const uint8_t, 64> report_data) const override {
    return tee_.make_quote(report_data, id_);
  }

 private:
  SimTee tee_;
  EnclaveIdentity id_;
};

}  // namespace

base::Result<Bytes<32>> default_mrenclave() {
  static std::once_flag once;
  static std::optional<base::Result<Bytes<32>>> result;
  std::call_once(once, [] { result.emplace(hash_file("/proc/self/exe")); });
  return *result;
}

base::Result<std::unique_ptr<Attester>> make_sim_attester(const AttesterOptions& options) {
  std::string dir = options.sim_state_dir.empty() ? default_state_dir() : options.sim_state_dir;
  ASSIGN_OR_RETURN(SimTee tee, SimTee::open(dir, static_cast<int64_t>(time(nullptr))));
  EnclaveIdentity id;
  auto mrenclave = default_mrenclave();
  if (!mrenclave.ok()) return std::move(mrenclave).error().wrap("sim attester MRENCLAVE");
  id.mrenclave = *mrenclave;
  return std::unique_ptr<Attester>(new SimAttester(std::move(tee), id));
}

}  // namespace rats::sim
