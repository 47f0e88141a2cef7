// The "sim" attester: quotes of the sim TEE for this program (sim_tee.h).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
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

// The attestation channel of a process liberpal-sim started (inclavare/sim_tee.h): one request,
// one reply, each a whole SOCK_SEQPACKET message.
base::Result<Bytes<432>> channel_report(int fd, std::span<const uint8_t, 64> report_data) {
  uint8_t req[SIM_TEE_ATTEST_REQUEST_SIZE] = {};
  std::memcpy(req + SIM_TEE_TI_MRENCLAVE_OFF, kSimQeMrenclave.data(), 32);
  std::memcpy(req + 512, report_data.data(), 64);
  const std::string what = std::string("the sim attestation channel (fd ") + std::to_string(fd) +
                           " from " SIM_TEE_ATTEST_FD_ENV ")";
  ssize_t n;
  do n = send(fd, req, sizeof req, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof req)) return base::sys_error("send to " + what);
  uint8_t reply[SIM_TEE_ATTEST_REPLY_SIZE + 1];
  do n = recv(fd, reply, sizeof reply, MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return base::sys_error("receive from " + what);
  if (n < 4) return base::Error(base::Category::unavailable, what + " closed without a reply");
  uint32_t status = reply[0] | reply[1] << 8 | reply[2] << 16 | uint32_t(reply[3]) << 24;
  if (status != 0)
    return base::Error(
        base::Category::unavailable,
        what + " refused the request: " + strerror(int(status)) +
            (status == EIO ? " (a workload ran that liberpal-sim could not measure)" : ""));
  if (n != SIM_TEE_ATTEST_REPLY_SIZE)
    return base::invalid(what + " replied " + std::to_string(n) + " bytes, not " +
                         std::to_string(SIM_TEE_ATTEST_REPLY_SIZE));
  Bytes<432> report;
  std::memcpy(report.data(), reply + 4, report.size());
  return report;
}

class SimAttester final : public Attester {
 public:
  SimAttester(SimTee tee, EnclaveIdentity id, int channel)
      : tee_(std::move(tee)), id_(id), channel_(channel) {}
  std::string_view name() const override { return "sim"; }
  base::Result<std::vector<uint8_t>> collect(
      std::span<const uint8_t, 64> report_data) const override {
    if (channel_ < 0) return tee_.make_quote(report_data, id_);
    base::Result<Bytes<432>> report = [&] {
      std::lock_guard lock(mu_);  // one exchange at a time on the channel
      return channel_report(channel_, report_data);
    }();
    if (!report.ok()) return std::move(report).error();
    return tee_.quote_report(*report);
  }

 private:
  SimTee tee_;
  EnclaveIdentity id_;
  int channel_;  // liberpal-sim's attestation channel, or -1
  mutable std::mutex mu_;
};

// The channel's descriptor from the environment (-1 when unset), made close-on-exec.
base::Result<int> attestation_channel() {
  const char* v = getenv(SIM_TEE_ATTEST_FD_ENV);
  if (v == nullptr) return -1;
  char* end = nullptr;
  errno = 0;
  long fd = strtol(v, &end, 10);
  int type = 0;
  socklen_t len = sizeof type;
  if (*v == '\0' || *end != '\0' || errno != 0 || fd < 3 || fd > INT32_MAX ||
      getsockopt(int(fd), SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET)
    return base::invalid(std::string(SIM_TEE_ATTEST_FD_ENV "=`") + base::clip(v) +
                         "` does not name liberpal-sim's attestation channel (an open "
                         "SOCK_SEQPACKET socket, fd >= 3)");
  if (fcntl(int(fd), F_SETFD, FD_CLOEXEC) != 0)
    return base::sys_error(std::string("mark the attestation channel (fd ") + v +
                           ") close-on-exec");
  return int(fd);
}

}  // namespace

base::Result<Bytes<32>> default_mrenclave() {
  static std::once_flag once;
  static std::optional<base::Result<Bytes<32>>> result;
  std::call_once(once, [] { result.emplace(hash_file("/proc/self/exe")); });
  return *result;
}

base::Result<std::unique_ptr<Attester>> make_sim_attester(const AttesterOptions& options) {
  std::string dir = options.sim_state_dir.empty() ? default_state_dir() : options.sim_state_dir;
  ASSIGN_OR_RETURN(int channel, attestation_channel());
  // A state bind-mounted read-only (a workload in a container) is used as it is.
  SimOptions sim_options;
  sim_options.read_only = access(dir.c_str(), F_OK) == 0 && access(dir.c_str(), W_OK) != 0;
  ASSIGN_OR_RETURN(SimTee tee, SimTee::open(dir, static_cast<int64_t>(time(nullptr)), sim_options));
  EnclaveIdentity id;
  if (channel >= 0) return std::unique_ptr<Attester>(new SimAttester(std::move(tee), id, channel));
  auto mrenclave = default_mrenclave();
  if (!mrenclave.ok()) return std::move(mrenclave).error().wrap("sim attester MRENCLAVE");
  id.mrenclave = *mrenclave;
  return std::unique_ptr<Attester>(new SimAttester(std::move(tee), id, -1));
}

}  // namespace rats::sim
