// Tests of the aesmd client and the sgx_ecdsa attester's aesmd path (src/rats/attesters/aesm.*).
// No aesmd can run here (it needs SGX hardware): a scripted stand-in listens on a Unix socket in
// a temporary folder, checks each request byte for byte against the protobuf encoding written
// out by hand below (field numbers of aesmd's aesm.message protocol), and answers with a real
// quote from ../shared/vectors, zero-padded to the buffer size as aesmd's quoting enclave does.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "rats/attester.h"
#include "rats/attesters/aesm.h"
#include "rats/attesters/attesters.h"
#include "rats/formats/intel_quote.h"
#include "rats/vectors.h"
#include "temp_dir.h"

namespace rats::attesters {
namespace {

using test::Buf;
using test::load;

// Protobuf pieces written out by hand, independent of the client's encoder.
Buf varint(uint64_t v) {
  Buf out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v != 0 ? (b | 0x80) : b);
  } while (v != 0);
  return out;
}
Buf cat(std::initializer_list<Buf> parts) {
  Buf out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Buf bytes_field(Buf key, const Buf& payload) {
  return cat({key, varint(payload.size()), payload});
}
Buf framed(const Buf& msg) {
  Buf out(4);
  uint32_t n = static_cast<uint32_t>(msg.size());
  memcpy(out.data(), &n, 4);
  return cat({out, msg});
}

// The ECDSA-P256 QE3 attestation key id as aesmd expects it (sgx_att_key_id_ext_t).
Buf expected_key_id() {
  Buf id(256, 0);
  id[4] = 32;  // mrsigner_length
  const uint8_t mrsigner[32] = {0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e, 0x96, 0x13, 0x7f,
                                0x77, 0xc6, 0x8a, 0x82, 0x9a, 0x00, 0x56, 0xac, 0x8d, 0xed, 0x70,
                                0x14, 0x0b, 0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff};
  memcpy(id.data() + 6, mrsigner, 32);
  id[54] = 1;   // prod_id
  id[154] = 2;  // algorithm: ECDSA P-256
  return id;
}

// Requests: Request.initQuoteExReq (15, key 0x7a), getQuoteSizeExReq (16, 0x82 0x01),
// getQuoteExReq (17, 0x8a 0x01).
Buf init_request() {
  Buf inner = cat({bytes_field({0x0a}, expected_key_id()), {0x18, 0x01}, {0x20, 0x20}});
  return bytes_field({0x7a}, inner);
}
Buf size_request() {
  return bytes_field({0x82, 0x01}, bytes_field({0x0a}, expected_key_id()));
}
Buf quote_request(const Buf& report, uint32_t size) {
  Buf inner = cat(
      {bytes_field({0x0a}, report), bytes_field({0x12}, expected_key_id()), {0x20}, varint(size)});
  return bytes_field({0x8a, 0x01}, inner);
}
// Replies: errorCode (field 1) then the payload field 2.
Buf init_reply(const Buf& target_info) {
  return framed(bytes_field({0x7a}, cat({{0x08, 0x00}, bytes_field({0x12}, target_info)})));
}
Buf size_reply(uint32_t size) {
  return framed(bytes_field({0x82, 0x01}, cat({{0x08, 0x00, 0x10}, varint(size)})));
}
Buf quote_reply(Buf quote, uint32_t size) {
  quote.resize(size, 0);
  return framed(bytes_field({0x8a, 0x01}, cat({{0x08, 0x00}, bytes_field({0x12}, quote)})));
}
Buf error_reply(Buf key, uint8_t code) {
  return framed(bytes_field(std::move(key), {0x08, code}));
}

// The stand-in: serves `replies` in order, one connection each, recording the requests.
class FakeAesmd {
 public:
  FakeAesmd(std::string path, std::vector<Buf> replies)
      : path_(std::move(path)), replies_(std::move(replies)) {
    listener_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    EXPECT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listener_.get(), 4), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeAesmd() {
    shutdown(listener_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    unlink(path_.c_str());
  }
  // Requests as received (without the length prefix); valid after the client is done.
  const std::vector<Buf>& requests() {
    shutdown(listener_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    return requests_;
  }

 private:
  static bool read_n(int fd, uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t r = read(fd, p, n);
      if (r <= 0) return false;
      p += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }
  void serve() {
    for (const Buf& reply : replies_) {
      base::UniqueFd c(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!c.valid()) return;
      uint32_t n = 0;
      if (!read_n(c.get(), reinterpret_cast<uint8_t*>(&n), 4)) return;
      Buf req(n);
      if (!read_n(c.get(), req.data(), n)) return;
      requests_.push_back(req);
      if (!reply.empty()) (void)!write(c.get(), reply.data(), reply.size());
    }
  }

  std::string path_;
  std::vector<Buf> replies_;
  base::UniqueFd listener_;
  std::thread thread_;
  std::vector<Buf> requests_;
};

class RatsAesmTest : public testutil::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    socket_ = dir_ + "/aesm.socket";
  }
  Buf target_info(uint8_t fill) { return Buf(512, fill); }
  // A real SGX v3 quote, and a REPORT as the enclave would have made it for that quote: its
  // 384-byte body, then key id and MAC.
  void load_quote() {
    quote_ = load("sgx/occlum-trustee/occlum_quote.dat");
    auto q = formats::parse_intel_quote(quote_);
    ASSERT_TRUE(q.ok());
    ASSERT_NE(q->sgx_body(), nullptr);
    report_data_ = q->sgx_body()->report_data;
    report_.assign(quote_.begin() + q->body_offset,
                   quote_.begin() + q->body_offset + kSgxReportBodySize);
    report_.resize(aesm::kReportSize, 0x5a);
  }
  std::string socket_;
  Buf quote_, report_;
  Bytes<64> report_data_{};
};

TEST_F(RatsAesmTest, AttesterQuotesThroughAesmdWithTheEnclavesReport) {
  REQUIRE_VECTORS();
  ASSERT_NO_FATAL_FAILURE(load_quote());
  const Buf& quote = quote_;
  Buf report = report_;
  const uint32_t size = 8192;
  FakeAesmd aesmd(socket_,
                  {init_reply(target_info(0x11)), size_reply(size), quote_reply(quote, size)});

  AttesterOptions options;
  options.aesm_socket = socket_;
  int calls = 0;
  options.sgx_report = [&](std::span<const uint8_t, 512> ti,
                           std::span<const uint8_t, 64> rd) -> base::Result<std::vector<uint8_t>> {
    ++calls;
    EXPECT_EQ(Buf(ti.begin(), ti.end()), target_info(0x11));
    EXPECT_TRUE(std::equal(rd.begin(), rd.end(), report_data_.begin()));
    return report;
  };
  auto att = make_attester("sgx_ecdsa", options);
  ASSERT_TRUE(att.ok()) << att.error().what();
  auto ev = (*att)->collect(report_data_);
  ASSERT_TRUE(ev.ok()) << ev.error().what();
  EXPECT_EQ(*ev, quote) << "the padded reply is cut to the quote's own length";
  EXPECT_EQ(calls, 1);

  const auto& reqs = aesmd.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0], init_request());
  EXPECT_EQ(reqs[1], size_request());
  EXPECT_EQ(reqs[2], quote_request(report, size));
}

TEST_F(RatsAesmTest, RetriesWhenTheAttestationKeyIsNotInitialized) {
  REQUIRE_VECTORS();
  ASSERT_NO_FATAL_FAILURE(load_quote());
  const Buf& quote = quote_;
  Buf report = report_;
  FakeAesmd aesmd(socket_,
                  {init_reply(target_info(1)), size_reply(6000), error_reply({0x8a, 0x01}, 42),
                   init_reply(target_info(2)), size_reply(6000), quote_reply(quote, 6000)});
  std::vector<uint8_t> seen;
  aesm::Client client(socket_);
  auto got = client.quote_for([&](std::span<const uint8_t, 512> ti) {
    seen.push_back(ti[0]);
    return base::Result<std::vector<uint8_t>>(report);
  });
  ASSERT_TRUE(got.ok()) << got.error().what();
  EXPECT_EQ(got->size(), 6000u);
  EXPECT_EQ(seen, (std::vector<uint8_t>{1, 2})) << "a new REPORT for the new target info";
  EXPECT_EQ(aesmd.requests().size(), 6u);
}

TEST_F(RatsAesmTest, AesmdErrorsAndBrokenRepliesAreNamed) {
  {
    FakeAesmd aesmd(socket_, {error_reply({0x7a}, 3)});
    auto ti = aesm::Client(socket_).qe_target_info();
    ASSERT_FALSE(ti.ok());
    EXPECT_NE(ti.error().message().find("InitQuoteEx failed: aesmd error 3 (invalid parameter)"),
              std::string::npos)
        << ti.error().message();
  }
  {
    // target info of the wrong size
    FakeAesmd aesmd(socket_, {init_reply(Buf(100, 0))});
    auto ti = aesm::Client(socket_).qe_target_info();
    ASSERT_FALSE(ti.ok());
    EXPECT_NE(ti.error().message().find("target_info is 100 bytes, expected 512"),
              std::string::npos)
        << ti.error().message();
  }
  {
    // the reply answers another request
    FakeAesmd aesmd(socket_, {size_reply(10)});
    auto ti = aesm::Client(socket_).qe_target_info();
    ASSERT_FALSE(ti.ok());
    EXPECT_NE(ti.error().message().find("lacks its response message (field 15)"), std::string::npos)
        << ti.error().message();
  }
  {
    // a length that runs past the message
    FakeAesmd aesmd(socket_, {framed({0x7a, 0x10, 0x08})});
    auto ti = aesm::Client(socket_).qe_target_info();
    ASSERT_FALSE(ti.ok());
    EXPECT_NE(ti.error().message().find("exceeds the message"), std::string::npos)
        << ti.error().message();
  }
  {
    // a reply announced bigger than the limit, and one cut short
    Buf huge(4);
    uint32_t n = 0x7fffffff;
    memcpy(huge.data(), &n, 4);
    FakeAesmd aesmd(socket_, {huge, Buf{0x20, 0, 0, 0, 0x7a}});
    auto a = aesm::Client(socket_).qe_target_info();
    ASSERT_FALSE(a.ok());
    EXPECT_NE(a.error().message().find("limit"), std::string::npos) << a.error().message();
    auto b = aesm::Client(socket_).qe_target_info();
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.error().message().find("closed the connection after 1 of 32 bytes"),
              std::string::npos)
        << b.error().message();
  }
  {
    // an oversized quote size
    FakeAesmd aesmd(socket_, {size_reply(1 << 20)});
    auto got = aesm::Client(socket_).quote(std::span<const uint8_t, 432>(Buf(432).data(), 432));
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message().find("quote_size 1048576"), std::string::npos)
        << got.error().message();
  }
  auto none = aesm::Client(dir_ + "/absent.socket").qe_target_info();
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("cannot reach aesmd at `" + dir_ + "/absent.socket`"),
            std::string::npos)
      << none.error().message();
}

TEST_F(RatsAesmTest, AttesterRejectsAQuoteThatDoesNotCarryTheReport) {
  REQUIRE_VECTORS();
  ASSERT_NO_FATAL_FAILURE(load_quote());
  const Buf& quote = quote_;
  Buf report = report_;
  report[64] ^= 1;  // another MRENCLAVE
  FakeAesmd aesmd(socket_,
                  {init_reply(target_info(0)), size_reply(8000), quote_reply(quote, 8000)});
  AttesterOptions options;
  options.aesm_socket = socket_;
  options.sgx_report = [&](std::span<const uint8_t, 512>, std::span<const uint8_t, 64>) {
    return base::Result<std::vector<uint8_t>>(report);
  };
  auto att = make_sgx(options);
  ASSERT_TRUE(att.ok());
  auto ev = (*att)->collect(report_data_);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.error().message().find("differs from the enclave's REPORT"), std::string::npos)
      << ev.error().message();

  // A REPORT of the wrong size never reaches aesmd's GetQuoteEx.
  FakeAesmd second(dir_ + "/second.socket", {init_reply(target_info(0))});
  options.aesm_socket = dir_ + "/second.socket";
  options.sgx_report = [](std::span<const uint8_t, 512>, std::span<const uint8_t, 64>) {
    return base::Result<std::vector<uint8_t>>(std::vector<uint8_t>(100));
  };
  auto short_report = (*make_sgx(options))->collect(report_data_);
  ASSERT_FALSE(short_report.ok());
  EXPECT_NE(short_report.error().message().find("REPORT is 100 bytes, expected 432"),
            std::string::npos)
      << short_report.error().message();
  EXPECT_EQ(second.requests().size(), 1u);
}

TEST_F(RatsAesmTest, AutoProbeLooksForAesmdWhenTheEnclaveMakesReports) {
  AttesterOptions options;
  options.tsm_root = dir_ + "/no-tsm";
  options.aesm_socket = dir_ + "/no-aesm.socket";
  options.sgx_report = [](std::span<const uint8_t, 512>, std::span<const uint8_t, 64>) {
    return base::Result<std::vector<uint8_t>>(std::vector<uint8_t>(432));
  };
  auto att = make_attester("auto", options);
  ASSERT_FALSE(att.ok());
  EXPECT_NE(att.error().message().find("sgx_ecdsa: no `" + dir_ + "/no-aesm.socket`"),
            std::string::npos)
      << att.error().message();
}

}  // namespace
}  // namespace rats::attesters
