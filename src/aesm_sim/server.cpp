#include "aesm_sim/server.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "aesm/aesm.pb.h"
#include "base/file.h"
#include "base/log.h"
#include "base/sim_report.h"
#include "base/socket.h"
#include "inclavare/sim_tee.h"
#include "rats/core/target_info.h"
#include "rats/formats/intel_quote.h"
#include "rats/sim/sim_tee.h"
#include "sgx/aesm/errors.h"
#include "sgx/aesm/wire.h"
#include "sgx/structs.h"

namespace aesm_sim {

namespace pb = ::aesm::message;
using sgx::aesm::Call;

base::Result<Misbehave> parse_misbehave(std::string_view text) {
  Misbehave m;
  std::string_view mode = text;
  if (auto at = text.find('@'); at != std::string_view::npos) {
    mode = text.substr(0, at);
    const std::string call(text.substr(at + 1));
    for (uint32_t n : {3u, 15u, 16u, 17u, 19u, 21u, 22u}) {
      if (call == std::to_string(n) || call == sgx::aesm::call_name(n)) m.only_call = n;
    }
    if (!m.only_call) {
      return base::invalid("--misbehave `" + std::string(text) + "`: `" + call +
                           "` is not a call aesm-sim answers (3, 15, 16, 17, 19, 21, 22 or "
                           "their names, such as GetQuoteEx)");
    }
  }
  using M = Misbehave::Mode;
  if (mode == "short")
    m.mode = M::short_reply;
  else if (mode == "oversized")
    m.mode = M::oversized;
  else if (mode == "trailing")
    m.mode = M::trailing;
  else if (mode == "no-errorcode")
    m.mode = M::no_errorcode;
  else if (mode == "close")
    m.mode = M::close;
  else if (mode == "stall")
    m.mode = M::stall;
  else if (mode == "split")
    m.mode = M::split;
  else if (mode.rfind("error:", 0) == 0) {
    m.mode = M::error;
    const std::string n(mode.substr(6));
    char* end = nullptr;
    unsigned long v = n.empty() ? 0 : std::strtoul(n.c_str(), &end, 10);
    if (n.empty() || *end != '\0' || v == 0 || v > 0xffffffffUL) {
      return base::invalid("--misbehave `" + std::string(text) + "`: error:N wants N from 1 to " +
                           "4294967295");
    }
    m.error_code = static_cast<uint32_t>(v);
  } else {
    return base::invalid("--misbehave `" + std::string(text) +
                         "`: want short, oversized, trailing, no-errorcode, close, stall, split "
                         "or error:N, optionally @CALL");
  }
  return m;
}

struct Server::State {
  Options options;
  rats::sim::SimTee tee;
  sgx::aesm::KeyId key_id{};
  size_t quote_size = 0;
  std::array<uint8_t, 32> pub_key_id{};
  base::UniqueFd listener;
  std::vector<base::UniqueFd> stalled;
  size_t captured = 0;
};

namespace {

std::string str(std::span<const uint8_t> b) {
  return std::string(b.begin(), b.end());
}

std::vector<uint8_t> framed(const pb::Response& r, bool partial = false) {
  std::string body = partial ? r.SerializePartialAsString() : r.SerializeAsString();
  return sgx::aesm::wire::frame(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
}

// The sim QE's key id: as Intel's QE3 id, with the sim QE's MRSIGNER.
sgx::aesm::KeyId sim_key_id() {
  return sgx::aesm::ecdsa_p256_key_id(rats::sim::kSimQeMrsigner, rats::sim::kSimQeIsvProdId);
}

}  // namespace

Server::Server(std::unique_ptr<State> s) : s_(std::move(s)) {}
Server::Server(Server&&) noexcept = default;
Server::~Server() = default;

base::Result<Server> Server::open(const Options& o) {
  ASSIGN_OR_RETURN(auto tee,
                   rats::sim::SimTee::open(o.state_dir, static_cast<int64_t>(time(nullptr))));
  auto s = std::make_unique<State>(State{o, std::move(tee), sim_key_id(), 0, {}, {}, {}});
  // The quote size is fixed for a state (fixed-size signatures, the same certificate chain):
  // quote a REPORT once to learn it.
  uint8_t report[SIM_REPORT_SIZE];
  const auto ti = rats::sim_qe_target_info();
  const uint8_t zero[64] = {};
  sim_report_make(ti.data(), zero, zero, SIM_TEE_ORIGIN_HOST, report);
  ASSIGN_OR_RETURN(auto q, s->tee.quote_report(std::span<const uint8_t, 432>(report, 432)));
  s->quote_size = q.size();
  const char label[] = "aesm-sim attestation public key id";
  SHA256(reinterpret_cast<const uint8_t*>(label), sizeof label - 1, s->pub_key_id.data());
  ASSIGN_OR_RETURN(s->listener, base::listen_unix(o.socket, "`" + o.socket + "`"));
  return Server(std::move(s));
}

std::optional<std::vector<uint8_t>> Server::answer(std::span<const uint8_t> request) const {
  pb::Request req;
  // Partial: a known request with a required field missing is answered (errorCode 1), as aesmd
  // does; bytes that are no Request at all are closed on, also as aesmd does.
  if (!req.ParsePartialFromArray(request.data(), static_cast<int>(request.size()))) {
    return std::nullopt;
  }
  pb::Response res;
  const State& s = *s_;
  auto key_ok = [&](bool has, const std::string& id) { return !has || id == str(s.key_id); };
  if (req.has_getlictokenreq()) {
    auto* out = res.mutable_getlictokenres();
    const auto& r = req.getlictokenreq();
    if (!r.IsInitialized()) {
      out->set_errorcode(sgx::aesm::kUnexpectedError);
    } else if (r.mr_enclave().size() != 32 || r.mr_signer().size() != sgx::kModulusSize ||
               r.se_attributes().size() != 16) {
      out->set_errorcode(sgx::aesm::kParameterError);
    } else {
      std::array<uint8_t, sgx::kTokenSize> token{};
      token[0] = 1;                                             // valid
      memcpy(token.data() + 48, r.se_attributes().data(), 16);  // attributes
      memcpy(token.data() + 64, r.mr_enclave().data(), 32);     // mr_enclave
      auto signer = sgx::mrsigner(std::span<const uint8_t, sgx::kModulusSize>(
          reinterpret_cast<const uint8_t*>(r.mr_signer().data()), sgx::kModulusSize));
      memcpy(token.data() + 128, signer.data(), 32);            // mr_signer
      memcpy(token.data() + 192, SIM_TEE_CPUSVN, 16);           // cpu_svn_le
      token[240] = SIM_TEE_ATTR_INIT | SIM_TEE_ATTR_MODE64BIT;  // attributes_le
      token[248] = 3;
      RAND_bytes(token.data() + 256, 32);  // key_id
      // MAC: the sim has no launch key; an HMAC under a fixed label stands in.
      const char key[] = "aesm-sim launch token key";
      uint8_t mac[32];
      unsigned len = 0;
      HMAC(EVP_sha256(), key, sizeof key - 1, token.data(), 288, mac, &len);
      memcpy(token.data() + 288, mac, 16);
      out->set_errorcode(0);
      out->set_token(str(token));
    }
  } else if (req.has_initquoteexreq()) {
    auto* out = res.mutable_initquoteexres();
    const auto& r = req.initquoteexreq();
    if (!r.IsInitialized()) {
      out->set_errorcode(sgx::aesm::kUnexpectedError);
    } else if (!key_ok(r.has_att_key_id(), r.att_key_id())) {
      out->set_errorcode(sgx::aesm::kUnsupportedAttKeyId);
    } else if (!r.b_pub_key_id()) {
      // As aesmd: the size of the public key id, and a target_info of zeros.
      out->set_errorcode(0);
      out->set_target_info(std::string(sgx::kTargetInfoSize, '\0'));
      out->set_pub_key_id_size(32);
    } else if (!r.has_buf_size() || r.buf_size() != 32) {
      out->set_errorcode(sgx::aesm::kParameterError);
    } else {
      out->set_errorcode(0);
      out->set_target_info(str(rats::sim_qe_target_info()));
      out->set_pub_key_id_size(32);
      out->set_pub_key_id(str(s.pub_key_id));
    }
  } else if (req.has_getquotesizeexreq()) {
    auto* out = res.mutable_getquotesizeexres();
    const auto& r = req.getquotesizeexreq();
    if (!key_ok(r.has_att_key_id(), r.att_key_id())) {
      out->set_errorcode(sgx::aesm::kUnsupportedAttKeyId);
    } else {
      out->set_errorcode(0);
      out->set_quote_size(static_cast<uint32_t>(s.quote_size));
    }
  } else if (req.has_getquoteexreq()) {
    auto* out = res.mutable_getquoteexres();
    const auto& r = req.getquoteexreq();
    const bool qri = r.has_qe_report_info();
    if (!r.IsInitialized()) {
      out->set_errorcode(sgx::aesm::kUnexpectedError);
    } else if (!key_ok(r.has_att_key_id(), r.att_key_id())) {
      out->set_errorcode(sgx::aesm::kUnsupportedAttKeyId);
    } else if (r.report().size() != sgx::kReportSize || r.buf_size() < s.quote_size ||
               (qri && r.qe_report_info().size() != sgx::kQeReportInfoSize)) {
      out->set_errorcode(sgx::aesm::kParameterError);
    } else if (!sim_report_mac_ok(SIM_TEE_QE_MRENCLAVE,
                                  reinterpret_cast<const uint8_t*>(r.report().data()))) {
      out->set_errorcode(sgx::aesm::kInvalidReport);
    } else {
      auto quote = s.tee.quote_report(
          std::span<const uint8_t, 432>(reinterpret_cast<const uint8_t*>(r.report().data()), 432));
      auto parsed = quote.ok() ? rats::formats::parse_intel_quote(*quote)
                               : base::Result<rats::IntelQuote>(quote.error());
      if (!parsed.ok()) {
        base::log::error("aesm-sim: quoting a REPORT failed: " + parsed.error().message());
        out->set_errorcode(sgx::aesm::kUnexpectedError);
      } else {
        if (qri) {
          // The QE's REPORT for the app: the quote's QE report body with REPORTDATA =
          // SHA-256(nonce || quote) || zeros, MACed for the app's MRENCLAVE.
          std::string info = r.qe_report_info();
          auto* p = reinterpret_cast<uint8_t*>(info.data());
          uint8_t* qe = p + 16 + sgx::kTargetInfoSize;
          memset(qe, 0, sgx::kReportSize);
          memcpy(qe, parsed->sig.qe_report_raw.data(), sgx::kReportBodySize);
          const auto bound = sgx::qe_report_data(std::span<const uint8_t, 16>(p, 16), *quote);
          memcpy(qe + SIM_TEE_R_REPORTDATA_OFF, bound.data(), bound.size());
          sim_report_mac(p + 16, qe, qe + SIM_TEE_R_MAC_OFF);
          out->set_qe_report_info(info);
        }
        quote->resize(r.buf_size(), 0);
        out->set_errorcode(0);
        out->set_quote(str(*quote));
      }
    }
  } else if (req.has_selectattkeyidreq()) {
    auto* out = res.mutable_selectattkeyidres();
    out->set_errorcode(0);
    out->set_selected_att_key_id(str(s.key_id));
  } else if (req.has_getsupportedattkeyidnumreq()) {
    auto* out = res.mutable_getsupportedattkeyidnumres();
    out->set_errorcode(0);
    out->set_att_key_id_num(1);
  } else if (req.has_getsupportedattkeyidsreq()) {
    auto* out = res.mutable_getsupportedattkeyidsres();
    const auto& r = req.getsupportedattkeyidsreq();
    if (!r.IsInitialized()) {
      out->set_errorcode(sgx::aesm::kUnexpectedError);
    } else if (r.buf_size() != sgx::kKeyIdSize) {
      out->set_errorcode(sgx::aesm::kParameterError);
    } else {
      out->set_errorcode(0);
      out->set_att_key_ids(str(s.key_id));
    }
  } else {
    return std::nullopt;  // no request aesmd knows: closed without a reply
  }
  return framed(res);
}

namespace {

// The Request field a body sets (0 when none parses).
uint32_t call_of(std::span<const uint8_t> body) {
  auto fields = sgx::aesm::wire::decode(body, "request");
  if (!fields.ok() || fields->empty()) return 0;
  return fields->back().number;
}

bool read_exact(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// The answer to `call` (its Response field) without its errorCode (`code` unset), or with the
// errorCode `code` and nothing else: `no-errorcode` and `error:N`.
std::vector<uint8_t> rewritten(const std::vector<uint8_t>& reply, uint32_t call,
                               std::optional<uint32_t> code) {
  sgx::aesm::wire::Encoder msg;
  if (code) {
    msg.uint(1, *code);
  } else if (auto r =
                 sgx::aesm::decode_response(std::span<const uint8_t>(reply).subspan(4), "reply");
             r.ok()) {
    for (const auto& [n, v] : r->fields) {
      if (n == 1) continue;
      if (v.bytes)
        msg.bytes(n, *v.bytes);
      else
        msg.uint(n, v.number.value_or(0));
    }
  }
  sgx::aesm::wire::Encoder outer;
  outer.message(call, msg);
  return sgx::aesm::wire::frame(outer.data());
}

}  // namespace

base::Status Server::run(int stop_fd) {
  State& s = *s_;
  using M = Misbehave::Mode;
  for (;;) {
    pollfd fds[2] = {{s.listener.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return base::sys_error("poll");
    }
    if (fds[1].revents != 0) break;
    base::UniqueFd c(accept4(s.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c.valid()) continue;
    // A client that sends nothing holds the simulator up 5 s at most.
    timeval tv{5, 0};
    setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint32_t len = 0;
    if (!read_exact(c.get(), reinterpret_cast<uint8_t*>(&len), 4)) continue;
    if (len > sgx::aesm::kMaxFrame) {
      base::log::warn("aesm-sim: a request announced " + std::to_string(len) + " bytes: closed");
      continue;
    }
    std::vector<uint8_t> body(len);
    if (!read_exact(c.get(), body.data(), len)) continue;
    const uint32_t call = call_of(body);
    if (!s.options.capture_dir.empty()) {
      char name[32];
      std::snprintf(name, sizeof name, "%04zu-", ++s.captured);
      auto w = base::write_file_atomic(
          s.options.capture_dir + "/" + name + sgx::aesm::call_name(call) + ".bin",
          std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
      if (!w.ok()) base::log::warn("aesm-sim: --capture: " + w.error().message());
    }
    auto reply = answer(body);
    Misbehave m;
    for (const Misbehave& each : s.options.misbehave) {
      if (!each.only_call || *each.only_call == call) {
        m = each;
        break;
      }
    }
    base::log::debug("aesm-sim: " + sgx::aesm::call_name(call) +
                     (reply ? "" : ": closed without a reply") +
                     (m.mode != M::none ? " (misbehaving)" : ""));
    const auto send = [&](std::span<const uint8_t> b) {
      base::write_all(c.get(), std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    };
    if (!reply) {  // closed without a reply, whatever the misbehaviour (a stall keeps it open)
      if (m.mode == M::stall) s.stalled.push_back(std::move(c));
      continue;
    }
    switch (m.mode) {
      case M::none:
        send(*reply);
        break;
      case M::close:
        break;
      case M::stall:
        s.stalled.push_back(std::move(c));
        break;
      case M::short_reply:
        send(std::span<const uint8_t>(*reply).first(reply->size() - 1));
        break;
      case M::oversized: {
        const uint32_t big = 2u << 20;
        std::memcpy(reply->data(), &big, sizeof big);
        send(*reply);
        break;
      }
      case M::trailing:
        reply->insert(reply->end(), {0x08, 0x00, 0x00});
        send(*reply);
        break;
      case M::split:
        for (size_t i = 0; i < reply->size(); ++i)
          send(std::span<const uint8_t>(*reply).subspan(i, 1));
        break;
      case M::no_errorcode:
        send(rewritten(*reply, call, std::nullopt));
        break;
      case M::error:
        send(rewritten(*reply, call, m.error_code));
        break;
    }
  }
  unlink(s.options.socket.c_str());
  return {};
}

}  // namespace aesm_sim
