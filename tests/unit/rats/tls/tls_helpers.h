// Shared helpers of the Rats-TLS tests: fake and tampering attesters/verifiers, a pair of
// sessions over a socketpair, the sim TEE's root key.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "base/file.h"
#include "rats/crypto/ecdsa.h"
#include "rats/crypto/x509.h"
#include "rats/tls.h"

namespace tlstest {

using rats::tls::Context;
using rats::tls::ContextOptions;
using rats::tls::Role;
using rats::tls::Session;

// Evidence "FAKE" || report data; the fake verifier trusts exactly that, so binding checks run
// without any TEE.
class FakeAttester final : public rats::Attester {
 public:
  std::string_view name() const override { return "fake"; }
  base::Result<std::vector<uint8_t>> collect(std::span<const uint8_t, 64> rd) const override {
    std::vector<uint8_t> out = {'F', 'A', 'K', 'E'};
    out.insert(out.end(), rd.begin(), rd.end());
    return out;
  }
};

class FakeVerifier final : public rats::Verifier {
 public:
  std::string_view name() const override { return "fake"; }
  base::Result<rats::Verdict> verify(const rats::VerifyRequest& req) const override {
    if (req.evidence.size() != 68) return base::invalid("fake evidence must be 68 bytes");
    rats::Verdict v;
    v.tee = "fake";
    v.trusted = true;
    if (std::memcmp(req.evidence.data(), "FAKE", 4) != 0) v.reject("quote_signature", "not FAKE");
    if (!req.report_data || std::memcmp(req.evidence.data() + 4, req.report_data->data(), 64) != 0)
      v.reject("report_data", "evidence report data differs from the expected one");
    v.claims = {{"fake", true}};
    return v;
  }
};

// Wraps an attester and flips one byte of its evidence.
class TamperingAttester final : public rats::Attester {
 public:
  TamperingAttester(std::shared_ptr<const rats::Attester> inner, size_t offset)
      : inner_(std::move(inner)), offset_(offset) {}
  std::string_view name() const override { return "tampering"; }
  base::Result<std::vector<uint8_t>> collect(std::span<const uint8_t, 64> rd) const override {
    ASSIGN_OR_RETURN(std::vector<uint8_t> ev, inner_->collect(rd));
    if (offset_ < ev.size()) ev[offset_] ^= 0x01;
    return ev;
  }

 private:
  std::shared_ptr<const rats::Attester> inner_;
  size_t offset_;
};

struct SideResult {
  base::Status negotiate = base::ok();
  std::optional<base::Status> transmit;
  std::optional<base::Status> receive;  // the first failed receive, if any
  std::string received;                 // application data handed to this side
  std::optional<rats::Verdict> verdict;
};

struct PairResult {
  SideResult server, client;
};

inline base::Status read_once(Session& s, std::string& out) {
  char buf[4096];
  auto r = s.receive(std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf), sizeof buf));
  if (!r.ok()) return std::move(r).error();
  out.append(buf, *r);
  return base::ok();
}

// Server reads one message and answers "echo: <message>"; the client sends `message` and reads
// the answer. A side whose negotiate fails shuts down its writing half, so the other never hangs.
inline PairResult run_pair(const Context& server, const Context& client,
                           const std::string& message) {
  static const bool sigpipe_ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipe_ignored;
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  PairResult out;
  std::thread st([&] {
    auto s = Session::create(server, fds[0]);
    ASSERT_TRUE(s.ok()) << s.error().message();
    out.server.negotiate = (*s)->negotiate();
    out.server.verdict = (*s)->peer_verdict();
    if (!out.server.negotiate.ok()) {
      shutdown(fds[0], SHUT_WR);
      return;
    }
    base::Status r = read_once(**s, out.server.received);
    if (!r.ok()) {
      out.server.receive = r;
      shutdown(fds[0], SHUT_WR);
      return;
    }
    out.server.transmit = (*s)->transmit(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(("echo: " + out.server.received).data()),
        6 + out.server.received.size()));
    (*s)->cleanup();
    shutdown(fds[0], SHUT_WR);
  });
  {
    auto s = Session::create(client, fds[1]);
    EXPECT_TRUE(s.ok());
    if (s.ok()) {
      out.client.negotiate = (*s)->negotiate();
      out.client.verdict = (*s)->peer_verdict();
      if (out.client.negotiate.ok()) {
        out.client.transmit = (*s)->transmit(std::span<const uint8_t>(
            reinterpret_cast<const uint8_t*>(message.data()), message.size()));
        base::Status r = read_once(**s, out.client.received);
        if (!r.ok()) out.client.receive = r;
        (*s)->cleanup();
      }
    }
    shutdown(fds[1], SHUT_WR);
  }
  st.join();
  close(fds[0]);
  close(fds[1]);
  return out;
}

inline std::unique_ptr<Context> make_context(ContextOptions o) {
  auto c = Context::create(std::move(o));
  EXPECT_TRUE(c.ok()) << c.error().message();
  return c.ok() ? std::move(c).value() : nullptr;
}

// The sim TEE's root key fingerprint, read from its state directory.
inline std::optional<rats::Bytes<32>> sim_root_key(const std::string& state_dir) {
  auto pem = base::read_file(state_dir + "/root_ca.pem");
  if (!pem.ok()) return std::nullopt;
  auto cert = rats::crypto::parse_certificate(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pem->data()), pem->size()));
  if (!cert.ok()) return std::nullopt;
  auto h = rats::crypto::spki_sha256(cert->get());
  if (!h.ok()) return std::nullopt;
  return *h;
}

inline bool sim_registered() {
  auto a = rats::attester_names();
  auto v = rats::verifier_names();
  return std::find(a.begin(), a.end(), "sim") != a.end() &&
         std::find(v.begin(), v.end(), "sim") != v.end();
}

}  // namespace tlstest
