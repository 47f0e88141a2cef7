// aesmd client: the hand codec of wire.h over a non-blocking Unix stream socket, one connection
// and one deadline per exchange.
#include "sgx/aesm/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "base/fd.h"
#include "base/socket.h"
#include "sgx/aesm/errors.h"

namespace sgx::aesm {

namespace {

using Clock = std::chrono::steady_clock;

// A quote is a few KiB (the sim's and Intel's: under 8 KiB with certification data); refuse a
// quote_size above the frame limit.
constexpr uint64_t kMaxQuoteSize = kMaxFrame - 1024;
// GetSupportedAttKeyIDNum beyond this is not believed (aesmd knows a handful of quoting enclaves).
constexpr uint64_t kMaxKeyIds = 64;

std::string seconds(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + " s";
  return std::to_string(ms.count()) + " ms";
}

// Milliseconds left before `deadline` for poll (0 when passed).
int left(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms <= 0 ? 0 : static_cast<int>(std::min<long long>(ms, 1 << 30));
}

// Waits for `events` on `fd` until the deadline: 1 ready, 0 deadline, -1 error (errno).
int wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, left(deadline));
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

}  // namespace

std::string Client::context(Call call) const {
  return "reply of aesmd at `" + path_ + "` to " + call_name(call);
}

base::Result<std::vector<uint8_t>> Client::exchange(const std::vector<uint8_t>& request,
                                                    const std::string& what, CallInfo& info) const {
  const auto deadline = Clock::now() + timeout_;
  const std::string at = "aesmd at `" + path_ + "`";
  auto expired = [&](const char* stage) {
    info.failure = Failure::deadline;
    return base::Error(base::Category::deadline_exceeded,
                       at + " did not " + stage + " " + what + " within " + seconds(timeout_));
  };
  auto malformed = [&](std::string m) {
    info.failure = Failure::malformed;
    return base::invalid(m);
  };

  sockaddr_un addr{};
  ASSIGN_OR_RETURN(socklen_t addr_len, base::unix_address(path_, addr, "aesmd socket"));
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return base::sys_error("creating a socket for " + at);
  for (;;) {
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), addr_len) == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {  // a full backlog: a Unix socket's connect does not wait by itself
      if (left(deadline) == 0) return expired("accept");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (errno == EINPROGRESS) {
      int r = wait_for(fd.get(), POLLOUT, deadline);
      if (r == 0) return expired("accept");
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (r > 0 && err == 0) break;
      errno = r < 0 ? errno : err;
    }
    info.failure = Failure::unreachable;
    const int err = errno;
    // unavailable whatever the errno (a missing socket is aesmd not running, not bad input).
    return base::Error(base::Category::unavailable,
                       "cannot reach " + at + " for " + what + ": " + std::strerror(err) +
                           (err == ENOENT || err == ECONNREFUSED
                                ? " (aesmd is not running: start the SGX AESM service, "
                                  "`systemctl start aesmd`, or give its socket)"
                                : std::string()),
                       err);
  }

  const std::vector<uint8_t> framed = wire::frame(request);
  for (size_t done = 0; done < framed.size();) {
    ssize_t n = send(fd.get(), framed.data() + done, framed.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      int r = wait_for(fd.get(), POLLOUT, deadline);
      if (r == 0) return expired("take");
      if (r > 0) continue;
    }
    info.failure = Failure::unreachable;
    return base::sys_error("sending " + what + " to " + at);
  }

  // Reads up to `len` bytes into `out` (appended); stops at EOF. The count read, or an error.
  auto read_some = [&](std::vector<uint8_t>& out, size_t len,
                       const char* stage) -> base::Result<size_t> {
    size_t got = 0;
    while (got < len) {
      const size_t start = out.size();
      out.resize(start + std::min<size_t>(len - got, 64 * 1024));
      ssize_t n = recv(fd.get(), out.data() + start, out.size() - start, 0);
      out.resize(start + (n > 0 ? static_cast<size_t>(n) : 0));
      if (n > 0) {
        got += static_cast<size_t>(n);
        continue;
      }
      if (n == 0) break;
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        int r = wait_for(fd.get(), POLLIN, deadline);
        if (r == 0) return expired(stage);
        if (r > 0) continue;
      }
      info.failure = Failure::unreachable;
      return base::sys_error("reading the reply of " + at + " to " + what);
    }
    return got;
  };

  std::vector<uint8_t> head;
  ASSIGN_OR_RETURN(size_t got, read_some(head, sizeof(uint32_t), "answer"));
  if (got == 0) {
    info.failure = Failure::closed_without_reply;
    return base::Error(base::Category::unimplemented,
                       at + " closed the connection without answering " + what +
                           " (aesmd does so with a request it does not know: is it older than "
                           "the call needs?)");
  }
  if (got < sizeof(uint32_t)) {
    return malformed(at + " closed the connection after " + std::to_string(got) +
                     " of the 4 bytes of its reply's length (" + what + ")");
  }
  uint32_t len;
  memcpy(&len, head.data(), sizeof len);
  if (len > kMaxFrame) {
    info.failure = Failure::malformed;
    return base::Error(base::Category::resource_exhausted,
                       at + " announced a " + std::to_string(len) + "-byte reply to " + what +
                           " (limit " + std::to_string(kMaxFrame) + ")");
  }
  std::vector<uint8_t> body;
  body.reserve(len);
  ASSIGN_OR_RETURN(got, read_some(body, len, "finish its reply to"));
  if (got < len) {
    return malformed(at + " closed the connection after " + std::to_string(got) + " of the " +
                     std::to_string(len) + " bytes of its reply to " + what);
  }
  // aesmd closes after its one reply: anything more is not aesmd's protocol.
  std::vector<uint8_t> rest;
  ASSIGN_OR_RETURN(got, read_some(rest, kMaxFrame, "close the connection after its reply to"));
  if (got > 0) {
    return malformed(at + " sent " + std::to_string(got) + (got == kMaxFrame ? " or more" : "") +
                     " bytes after its " + std::to_string(len) + "-byte reply to " + what +
                     " (one reply per connection)");
  }
  return body;
}

base::Result<Response> Client::call(Call c, const std::vector<uint8_t>& request,
                                    CallInfo* info) const {
  CallInfo local;
  CallInfo& i = info != nullptr ? *info : local;
  i = CallInfo{};
  const std::string what = call_name(c);
  ASSIGN_OR_RETURN(auto body, exchange(request, what, i));
  auto r = decode_response(body, context(c));
  if (!r.ok()) {
    i.failure = Failure::malformed;
    return std::move(r).error();
  }
  if (r->call != static_cast<uint32_t>(c)) {
    i.failure = Failure::malformed;
    return base::invalid(context(c) + " answers " + call_name(r->call) + " instead");
  }
  if (!r->error_code) {
    i.failure = Failure::malformed;
    return base::invalid(context(c) + " has no errorCode (a required field)");
  }
  if (*r->error_code != kSuccess) {
    i.failure = Failure::aesm_error;
    i.aesm_code = *r->error_code;
    return base::Error(
        base::Category::unavailable,
        "aesmd at `" + path_ + "`: " + what + " failed: " + describe_error(*r->error_code));
  }
  return std::move(*r);
}

base::Result<std::vector<uint8_t>> Client::sized(const Response& r, uint32_t field,
                                                 const char* name, size_t size, Call c) const {
  const Value* v = r.field(field);
  if (v == nullptr || !v->bytes || v->bytes->size() != size) {
    return base::invalid(context(c) + ": " + name + " is " +
                         (v == nullptr ? std::string("missing")
                          : !v->bytes  ? std::string("not bytes")
                                       : std::to_string(v->bytes->size()) + " bytes") +
                         ", expected " + std::to_string(size));
  }
  return *v->bytes;
}

namespace {

template <size_t N>
std::array<uint8_t, N> to_array(const std::vector<uint8_t>& v) {
  std::array<uint8_t, N> out{};
  memcpy(out.data(), v.data(), N);
  return out;
}

}  // namespace

base::Result<KeyId> Client::select_att_key_id(CallInfo* info) const {
  ASSIGN_OR_RETURN(auto r,
                   call(Call::select_att_key_id, encode_select_att_key_id(std::nullopt), info));
  ASSIGN_OR_RETURN(auto id,
                   sized(r, 2, "selected_att_key_id", kKeyIdSize, Call::select_att_key_id));
  return to_array<kKeyIdSize>(id);
}

base::Result<std::vector<KeyId>> Client::supported_att_key_ids(CallInfo* info) const {
  ASSIGN_OR_RETURN(auto n, call(Call::get_supported_att_key_id_num,
                                encode_get_supported_att_key_id_num(), info));
  const Value* num = n.field(2);
  if (num == nullptr || !num->number || *num->number == 0 || *num->number > kMaxKeyIds) {
    return base::invalid(context(Call::get_supported_att_key_id_num) + ": att_key_id_num " +
                         (num && num->number ? std::to_string(*num->number) : "missing") +
                         " is not in 1.." + std::to_string(kMaxKeyIds));
  }
  const auto count = static_cast<uint32_t>(*num->number);
  ASSIGN_OR_RETURN(auto r, call(Call::get_supported_att_key_ids,
                                encode_get_supported_att_key_ids(count * kKeyIdSize), info));
  ASSIGN_OR_RETURN(auto all,
                   sized(r, 2, "att_key_ids", count * kKeyIdSize, Call::get_supported_att_key_ids));
  std::vector<KeyId> ids(count);
  for (uint32_t k = 0; k < count; ++k)
    memcpy(ids[k].data(), all.data() + k * kKeyIdSize, kKeyIdSize);
  return ids;
}

base::Result<TargetInfo> Client::qe_target_info(const KeyId& key_id, CallInfo* info) const {
  // b_pub_key_id = false makes aesmd return a zero-filled target_info; with true, QE3 wants a
  // 32-byte buffer for the public key id (a SHA-256) and answers 3 to any other size.
  ASSIGN_OR_RETURN(auto r, call(Call::init_quote_ex, encode_init_quote_ex(key_id, true, 32), info));
  ASSIGN_OR_RETURN(auto ti, sized(r, 2, "target_info", kTargetInfoSize, Call::init_quote_ex));
  return to_array<kTargetInfoSize>(ti);
}

base::Result<Client::Quote> Client::quote(
    std::span<const uint8_t, kReportSize> report, const KeyId& key_id,
    std::optional<std::span<const uint8_t, kQeReportInfoSize>> qe_report_info,
    CallInfo* info) const {
  ASSIGN_OR_RETURN(auto s, call(Call::get_quote_size_ex, encode_get_quote_size_ex(key_id), info));
  const Value* size_field = s.field(2);
  const uint64_t size = size_field && size_field->number ? *size_field->number : 0;
  if (size == 0 || size > kMaxQuoteSize) {
    if (info != nullptr) info->failure = Failure::malformed;
    return base::invalid(context(Call::get_quote_size_ex) + ": quote_size " + std::to_string(size) +
                         " is not in 1.." + std::to_string(kMaxQuoteSize));
  }
  std::optional<std::span<const uint8_t>> qri;
  if (qe_report_info) qri = *qe_report_info;
  ASSIGN_OR_RETURN(
      auto r, call(Call::get_quote_ex,
                   encode_get_quote_ex(report, key_id, qri, static_cast<uint32_t>(size)), info));
  const Value* q = r.field(2);
  if (q == nullptr || !q->bytes || q->bytes->empty() || q->bytes->size() > size) {
    if (info != nullptr) info->failure = Failure::malformed;
    return base::invalid(
        context(Call::get_quote_ex) + ": quote is " +
        (q && q->bytes ? std::to_string(q->bytes->size()) + " bytes" : std::string("missing")) +
        ", expected 1.." + std::to_string(size));
  }
  Quote out;
  out.quote = std::move(*q->bytes);
  if (qe_report_info) {
    ASSIGN_OR_RETURN(auto back,
                     sized(r, 3, "qe_report_info", kQeReportInfoSize, Call::get_quote_ex));
    out.qe_report_info = to_array<kQeReportInfoSize>(back);
  }
  return out;
}

base::Result<std::array<uint8_t, kTokenSize>> Client::launch_token(
    std::span<const uint8_t, kMeasurementSize> mr_enclave,
    std::span<const uint8_t, kModulusSize> modulus,
    std::span<const uint8_t, kAttributesSize> attributes, CallInfo* info) const {
  ASSIGN_OR_RETURN(auto r, call(Call::get_launch_token,
                                encode_get_launch_token(mr_enclave, modulus, attributes), info));
  ASSIGN_OR_RETURN(auto token, sized(r, 2, "token", kTokenSize, Call::get_launch_token));
  return to_array<kTokenSize>(token);
}

base::Result<KeyId> Client::ecdsa_key_id() const {
  CallInfo info;
  auto selected = select_att_key_id(&info);
  if (selected.ok() && key_id_algorithm(*selected) == kAlgorithmEcdsaP256) return *selected;
  // The connection itself failing says nothing about keys: stop here.
  if (!selected.ok() && info.failure != Failure::aesm_error &&
      info.failure != Failure::closed_without_reply) {
    return std::move(selected).error();
  }
  auto ids = supported_att_key_ids(&info);
  if (!ids.ok()) {
    // An aesmd older than 2.9.1 closes on GetSupportedAttKeyID*: its ECDSA quoting enclave, when
    // it has one, is QE3, whose id is built in (not the EPID default SelectAttKeyID gave).
    if (info.failure == Failure::closed_without_reply) return qe3_key_id();
    return std::move(ids).error();
  }
  std::string algorithms;
  for (const KeyId& id : *ids) {
    const uint32_t alg = key_id_algorithm(id);
    if (alg == kAlgorithmEcdsaP256) return id;
    algorithms += (algorithms.empty() ? "" : ", ") +
                  std::string(alg == kAlgorithmEpid        ? "EPID"
                              : alg == kAlgorithmEcdsaP384 ? "ECDSA-P384"
                                                           : "algorithm " + std::to_string(alg));
  }
  return base::Error(base::Category::failed_precondition,
                     "aesmd at `" + path_ +
                         "` offers no ECDSA-P256 attestation key (it has: " + algorithms +
                         "): install libsgx-aesm-ecdsa-plugin and set `default quoting type = "
                         "ecdsa_256` in /etc/aesmd.conf, then restart aesmd");
}

base::Result<std::vector<uint8_t>> Client::quote_for(const ReportFn& make_report) const {
  constexpr int kAttempts = 3;
  ASSIGN_OR_RETURN(KeyId key_id, ecdsa_key_id());
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(auto ti, qe_target_info(key_id));
    auto report = make_report(ti);
    if (!report.ok()) return std::move(report).error().wrap("making the enclave's REPORT");
    if (report->size() != kReportSize) {
      return base::invalid("the enclave's REPORT is " + std::to_string(report->size()) +
                           " bytes, expected " + std::to_string(kReportSize));
    }
    CallInfo info;
    auto q = quote(std::span<const uint8_t, kReportSize>(report->data(), kReportSize), key_id,
                   std::nullopt, &info);
    if (q.ok()) return std::move(q->quote);
    if (info.aesm_code != kAttKeyNotInitialized || attempt == kAttempts)
      return std::move(q).error();
  }
}

}  // namespace sgx::aesm
