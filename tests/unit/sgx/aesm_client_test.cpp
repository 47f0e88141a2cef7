// Tests of the AESM client (src/sgx/aesm/client.*) and of the sgx_ecdsa attester's aesmd path.
// No aesmd can run here (it needs SGX hardware): a scripted stand-in listens on a Unix socket in
// a temporary folder, records each request (checked byte for byte against protobuf encodings
// written out by hand below, independent of the client's encoder) and answers as scripted: a
// real quote from ../shared/vectors zero-padded to the buffer size as aesmd's quoting enclave
// does, an error, nothing, a stall, or a reply in 1-byte writes.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "rats/attester.h"
#include "rats/attesters/attesters.h"
#include "rats/formats/intel_quote.h"
#include "rats/vectors.h"
#include "sgx/aesm/client.h"
#include "temp_dir.h"

namespace rats::attesters {
namespace {

namespace aesm = sgx::aesm;
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

// The ECDSA-P256 QE3 attestation key id as aesmd has it built in (sgx_att_key_id_ext_t).
Buf qe3_key_id() {
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
// Another ECDSA key id (as a platform's configuration could select) and an EPID one.
Buf other_ecdsa_key_id() {
  Buf id = qe3_key_id();
  id[54] = 7;
  return id;
}
Buf epid_key_id() {
  Buf id(256, 0);
  id[154] = 0;
  id[0] = 0x11;
  return id;
}

// Requests: Request.getLicTokenReq (3, key 0x1a), initQuoteExReq (15, 0x7a), getQuoteSizeExReq
// (16, 0x82 0x01), getQuoteExReq (17, 0x8a 0x01), selectAttKeyIDReq (19, 0x9a 0x01),
// getSupportedAttKeyIDNumReq (21, 0xaa 0x01), getSupportedAttKeyIDsReq (22, 0xb2 0x01).
Buf select_request() {
  return Buf{0x9a, 0x01, 0x00};
}
Buf num_request() {
  return Buf{0xaa, 0x01, 0x00};
}
Buf ids_request(uint32_t n) {
  return bytes_field({0xb2, 0x01}, cat({{0x08}, varint(n * 256)}));
}
Buf init_request(const Buf& key = qe3_key_id()) {
  // att_key_id (1), b_pub_key_id (3) = true, buf_size (4) = 32; no timeout (9).
  Buf inner = cat({bytes_field({0x0a}, key), {0x18, 0x01}, {0x20, 0x20}});
  return bytes_field({0x7a}, inner);
}
Buf size_request(const Buf& key = qe3_key_id()) {
  return bytes_field({0x82, 0x01}, bytes_field({0x0a}, key));
}
Buf quote_request(const Buf& report, uint32_t size, const Buf& key = qe3_key_id()) {
  Buf inner = cat({bytes_field({0x0a}, report), bytes_field({0x12}, key), {0x20}, varint(size)});
  return bytes_field({0x8a, 0x01}, inner);
}
// Replies: errorCode (field 1) then the payload field 2.
Buf ok_bytes(Buf key, const Buf& payload) {
  return framed(bytes_field(std::move(key), cat({{0x08, 0x00}, bytes_field({0x12}, payload)})));
}
Buf select_reply(const Buf& id = qe3_key_id()) {
  return ok_bytes({0x9a, 0x01}, id);
}
Buf num_reply(uint32_t n) {
  return framed(bytes_field({0xaa, 0x01}, cat({{0x08, 0x00, 0x10}, varint(n)})));
}
Buf ids_reply(const std::vector<Buf>& ids) {
  Buf all;
  for (const Buf& id : ids) all.insert(all.end(), id.begin(), id.end());
  return ok_bytes({0xb2, 0x01}, all);
}
Buf init_reply(const Buf& target_info) {
  return ok_bytes({0x7a}, target_info);
}
Buf size_reply(uint32_t size) {
  return framed(bytes_field({0x82, 0x01}, cat({{0x08, 0x00, 0x10}, varint(size)})));
}
Buf quote_reply(Buf quote, uint32_t size) {
  quote.resize(size, 0);
  return ok_bytes({0x8a, 0x01}, quote);
}
Buf error_reply(Buf key, uint8_t code) {
  return framed(bytes_field(std::move(key), {0x08, code}));
}

// One scripted answer: the bytes to write (none: close without a reply), or a stall (keep the
// connection open, never answer), or the bytes one at a time.
struct Answer {
  Answer(Buf b) : bytes(std::move(b)) {}  // NOLINT: a plain reply converts
  enum Mode { send, stall, split } mode = send;
  Buf bytes;
  static Answer stalled() {
    Answer a{Buf{}};
    a.mode = stall;
    return a;
  }
  static Answer in_bytes(Buf b) {
    Answer a{std::move(b)};
    a.mode = split;
    return a;
  }
};
const Answer kClose{Buf{}};

// The stand-in: serves `answers` in order, one connection each, recording the requests.
class FakeAesmd {
 public:
  FakeAesmd(std::string path, std::vector<Answer> answers)
      : path_(std::move(path)), answers_(std::move(answers)) {
    listener_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    EXPECT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listener_.get(), 4), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeAesmd() {
    stop();
    unlink(path_.c_str());
  }
  // Requests as received (without the length prefix); valid after the client is done.
  const std::vector<Buf>& requests() {
    stop();
    return requests_;
  }

 private:
  void stop() {
    shutdown(listener_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    held_.clear();
  }
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
    for (const Answer& a : answers_) {
      base::UniqueFd c(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!c.valid()) return;
      uint32_t n = 0;
      if (!read_n(c.get(), reinterpret_cast<uint8_t*>(&n), 4)) return;
      Buf req(n);
      if (!read_n(c.get(), req.data(), n)) return;
      requests_.push_back(req);
      if (a.mode == Answer::stall) {
        held_.push_back(std::move(c));
        continue;
      }
      if (a.mode == Answer::split) {
        for (uint8_t b : a.bytes) (void)!write(c.get(), &b, 1);
      } else if (!a.bytes.empty()) {
        (void)!write(c.get(), a.bytes.data(), a.bytes.size());
      }
    }
  }

  std::string path_;
  std::vector<Answer> answers_;
  base::UniqueFd listener_;
  std::thread thread_;
  std::vector<Buf> requests_;
  std::vector<base::UniqueFd> held_;
};

class AesmClientTest : public testutil::TempDirTest {
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
  // The error of qe_target_info (InitQuoteEx) against a stand-in giving `answer`.
  std::string init_error(Answer answer, std::chrono::milliseconds timeout = aesm::kDefaultTimeout,
                         aesm::Failure* failure = nullptr) {
    FakeAesmd aesmd(socket_, {std::move(answer)});
    aesm::CallInfo info;
    auto id = aesm::qe3_key_id();
    auto ti = aesm::Client(socket_, timeout).qe_target_info(id, &info);
    if (failure != nullptr) *failure = info.failure;
    EXPECT_FALSE(ti.ok());
    return ti.ok() ? std::string() : ti.error().message();
  }
  std::string socket_;
  Buf quote_, report_;
  Bytes<64> report_data_{};
};

TEST_F(AesmClientTest, AttesterQuotesThroughAesmdWithTheEnclavesReport) {
  REQUIRE_VECTORS();
  ASSERT_NO_FATAL_FAILURE(load_quote());
  const Buf& quote = quote_;
  Buf report = report_;
  const uint32_t size = 8192;
  FakeAesmd aesmd(socket_, {select_reply(), init_reply(target_info(0x11)), size_reply(size),
                            quote_reply(quote, size)});

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
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0], select_request());
  EXPECT_EQ(reqs[1], init_request());
  EXPECT_EQ(reqs[2], size_request());
  EXPECT_EQ(reqs[3], quote_request(report, size));
}

TEST_F(AesmClientTest, RetriesWhenTheAttestationKeyIsNotInitialized) {
  REQUIRE_VECTORS();
  ASSERT_NO_FATAL_FAILURE(load_quote());
  const Buf& quote = quote_;
  Buf report = report_;
  FakeAesmd aesmd(socket_, {select_reply(), init_reply(target_info(1)), size_reply(6000),
                            error_reply({0x8a, 0x01}, 42), init_reply(target_info(2)),
                            size_reply(6000), quote_reply(quote, 6000)});
  std::vector<uint8_t> seen;
  aesm::Client client(socket_);
  auto got = client.quote_for([&](std::span<const uint8_t, 512> ti) {
    seen.push_back(ti[0]);
    return base::Result<std::vector<uint8_t>>(report);
  });
  ASSERT_TRUE(got.ok()) << got.error().what();
  EXPECT_EQ(got->size(), 6000u);
  EXPECT_EQ(seen, (std::vector<uint8_t>{1, 2})) << "a new REPORT for the new target info";
  EXPECT_EQ(aesmd.requests().size(), 7u) << "the key id is selected once";
}

// Key selection: SelectAttKeyID's choice when it is ECDSA-P256; otherwise the first ECDSA-P256
// id of GetSupportedAttKeyIDs; QE3's built-in id when aesmd closes on those; an error naming
// /etc/aesmd.conf when aesmd has no ECDSA-P256 key.
TEST_F(AesmClientTest, KeySelectionPrefersAesmdsEcdsaChoiceThenItsListThenQe3) {
  {
    FakeAesmd aesmd(socket_, {select_reply(other_ecdsa_key_id())});
    auto id = aesm::Client(socket_).ecdsa_key_id();
    ASSERT_TRUE(id.ok()) << id.error().what();
    EXPECT_EQ(Buf(id->begin(), id->end()), other_ecdsa_key_id());
    EXPECT_EQ(aesmd.requests(), (std::vector<Buf>{select_request()}));
  }
  {
    // The EPID default: the list is asked, and its ECDSA-P256 entry taken.
    FakeAesmd aesmd(socket_, {select_reply(epid_key_id()), num_reply(2),
                              ids_reply({epid_key_id(), other_ecdsa_key_id()})});
    auto id = aesm::Client(socket_).ecdsa_key_id();
    ASSERT_TRUE(id.ok()) << id.error().what();
    EXPECT_EQ(Buf(id->begin(), id->end()), other_ecdsa_key_id());
    EXPECT_EQ(aesmd.requests(),
              (std::vector<Buf>{select_request(), num_request(), ids_request(2)}));
  }
  {
    // An aesmd older than 2.9.1 closes on GetSupportedAttKeyIDNum: QE3, not the EPID default.
    FakeAesmd aesmd(socket_, {select_reply(epid_key_id()), kClose});
    auto id = aesm::Client(socket_).ecdsa_key_id();
    ASSERT_TRUE(id.ok()) << id.error().what();
    EXPECT_EQ(Buf(id->begin(), id->end()), qe3_key_id());
  }
  {
    FakeAesmd aesmd(socket_,
                    {select_reply(epid_key_id()), num_reply(1), ids_reply({epid_key_id()})});
    auto id = aesm::Client(socket_).ecdsa_key_id();
    ASSERT_FALSE(id.ok());
    EXPECT_NE(id.error().message().find("offers no ECDSA-P256 attestation key (it has: EPID)"),
              std::string::npos)
        << id.error().message();
    EXPECT_NE(id.error().message().find("/etc/aesmd.conf"), std::string::npos);
  }
  {
    // A selection error is not the end: the list still answers.
    FakeAesmd aesmd(socket_,
                    {error_reply({0x9a, 0x01}, 38), num_reply(1), ids_reply({qe3_key_id()})});
    auto id = aesm::Client(socket_).ecdsa_key_id();
    ASSERT_TRUE(id.ok()) << id.error().what();
  }
  {
    // An unreachable aesmd is: no fallback hides it.
    auto id = aesm::Client(dir_ + "/absent.socket").ecdsa_key_id();
    ASSERT_FALSE(id.ok());
    EXPECT_NE(id.error().message().find("aesmd is not running"), std::string::npos)
        << id.error().message();
  }
}

TEST_F(AesmClientTest, AesmdErrorCodesAreNamedWithHints) {
  aesm::Failure failure;
  auto e = init_error(error_reply({0x7a}, 3), aesm::kDefaultTimeout, &failure);
  EXPECT_NE(e.find("aesmd at `" + socket_ + "`: InitQuoteEx failed: 3 AESM_PARAMETER_ERROR"),
            std::string::npos)
      << e;
  EXPECT_EQ(failure, aesm::Failure::aesm_error);
  e = init_error(error_reply({0x7a}, 42));
  EXPECT_NE(e.find("42 AESM_ATT_KEY_NOT_INITIALIZED (the quoting enclave's attestation key"),
            std::string::npos)
      << e;
  e = init_error(error_reply({0x7a}, 38));
  EXPECT_NE(e.find("38 AESM_UNSUPPORTED_ATT_KEY_ID (aesmd has no quoting enclave"),
            std::string::npos)
      << e;
  e = init_error(error_reply({0x7a}, 27));
  EXPECT_NE(e.find("27 (not an aesm_error_t value)"), std::string::npos) << e;
}

// Each way a reply can be wrong has its own error, naming the socket.
TEST_F(AesmClientTest, BrokenRepliesEachHaveTheirOwnError) {
  const std::string at = "aesmd at `" + socket_ + "`";
  aesm::Failure failure;
  auto e = init_error(init_reply(Buf(100, 0)));
  EXPECT_NE(e.find("target_info is 100 bytes, expected 512"), std::string::npos) << e;

  e = init_error(size_reply(10), aesm::kDefaultTimeout, &failure);
  EXPECT_NE(e.find("reply of " + at + " to InitQuoteEx answers GetQuoteSizeEx instead"),
            std::string::npos)
      << e;
  EXPECT_EQ(failure, aesm::Failure::malformed);

  e = init_error(framed(bytes_field({0x7a}, bytes_field({0x12}, Buf(512, 0)))));
  EXPECT_NE(e.find("reply of " + at + " to InitQuoteEx has no errorCode"), std::string::npos) << e;

  e = init_error(framed({0x7a, 0x10, 0x08}));
  EXPECT_NE(e.find("field 15 at byte 0 claims 16 bytes, 1 remain"), std::string::npos) << e;

  Buf huge(4);
  uint32_t n = 0x7fffffff;
  memcpy(huge.data(), &n, 4);
  e = init_error(huge);
  EXPECT_NE(e.find(at + " announced a 2147483647-byte reply to InitQuoteEx (limit 1048576)"),
            std::string::npos)
      << e;

  e = init_error(Buf{0x20, 0, 0, 0, 0x7a});
  EXPECT_NE(e.find(at + " closed the connection after 1 of the 32 bytes of its reply"),
            std::string::npos)
      << e;
  e = init_error(Buf{0x20, 0});
  EXPECT_NE(e.find("after 2 of the 4 bytes of its reply's length"), std::string::npos) << e;

  e = init_error(cat({init_reply(target_info(1)), {1, 2, 3}}));
  EXPECT_NE(e.find(at + " sent 3 bytes after its"), std::string::npos) << e;

  e = init_error(kClose, aesm::kDefaultTimeout, &failure);
  EXPECT_NE(e.find(at + " closed the connection without answering InitQuoteEx"), std::string::npos)
      << e;
  EXPECT_EQ(failure, aesm::Failure::closed_without_reply);

  {
    FakeAesmd aesmd(socket_, {size_reply(1 << 20)});
    auto got = aesm::Client(socket_).quote(std::span<const uint8_t, 432>(Buf(432).data(), 432),
                                           aesm::qe3_key_id());
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message().find("quote_size 1048576"), std::string::npos)
        << got.error().message();
  }
  auto none = aesm::Client(dir_ + "/absent.socket").qe_target_info(aesm::qe3_key_id());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("cannot reach aesmd at `" + dir_ +
                                        "/absent.socket` for InitQuoteEx: No such file or directory (aesmd is not running"),
            std::string::npos)
      << none.error().message();
}

TEST_F(AesmClientTest, OneDeadlineCoversTheExchangeAndSplitRepliesAreRead) {
  aesm::Failure failure;
  auto t0 = std::chrono::steady_clock::now();
  auto e = init_error(Answer::stalled(), std::chrono::milliseconds(1000), &failure);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_NE(e.find("aesmd at `" + socket_ + "` did not answer InitQuoteEx within 1 s"),
            std::string::npos)
      << e;
  EXPECT_EQ(failure, aesm::Failure::deadline);
  EXPECT_LT(took, std::chrono::seconds(2));

  FakeAesmd aesmd(socket_, {Answer::in_bytes(init_reply(target_info(7)))});
  auto ti =
      aesm::Client(socket_, std::chrono::milliseconds(5000)).qe_target_info(aesm::qe3_key_id());
  ASSERT_TRUE(ti.ok()) << ti.error().what();
  EXPECT_EQ((*ti)[0], 7);
}

TEST_F(AesmClientTest, QeReportInfoAndLaunchTokenTravelWithTheirFieldNumbers) {
  Buf report(432, 0x33), qri(960, 0x44), qri_back(960, 0x55), quote(100, 0x66);
  Buf reply = framed(bytes_field({0x8a, 0x01}, cat({{0x08, 0x00},
                                                    bytes_field({0x12}, cat({quote, Buf(100, 0)})),
                                                    bytes_field({0x1a}, qri_back)})));
  FakeAesmd aesmd(socket_, {size_reply(200), reply});
  auto got = aesm::Client(socket_).quote(std::span<const uint8_t, 432>(report.data(), 432),
                                         aesm::qe3_key_id(),
                                         std::span<const uint8_t, 960>(qri.data(), 960));
  ASSERT_TRUE(got.ok()) << got.error().what();
  ASSERT_TRUE(got->qe_report_info.has_value());
  EXPECT_EQ(Buf(got->qe_report_info->begin(), got->qe_report_info->end()), qri_back);
  const auto& reqs = aesmd.requests();
  ASSERT_EQ(reqs.size(), 2u);
  Buf inner = cat({bytes_field({0x0a}, report),
                   bytes_field({0x12}, qe3_key_id()),
                   bytes_field({0x1a}, qri),
                   {0x20},
                   varint(200)});
  EXPECT_EQ(reqs[1], bytes_field({0x8a, 0x01}, inner));

  // GetLaunchToken (3): mr_enclave 32, the 384-byte modulus, attributes 16.
  Buf mre(32, 1), modulus(384, 2), attrs(16, 3), token(304, 4);
  FakeAesmd lic(dir_ + "/lic.socket", {ok_bytes({0x1a}, token)});
  auto t = aesm::Client(dir_ + "/lic.socket")
               .launch_token(std::span<const uint8_t, 32>(mre.data(), 32),
                             std::span<const uint8_t, 384>(modulus.data(), 384),
                             std::span<const uint8_t, 16>(attrs.data(), 16));
  ASSERT_TRUE(t.ok()) << t.error().what();
  EXPECT_EQ(Buf(t->begin(), t->end()), token);
  EXPECT_EQ(lic.requests().at(0),
            bytes_field({0x1a}, cat({bytes_field({0x0a}, mre), bytes_field({0x12}, modulus),
                                     bytes_field({0x1a}, attrs)})));
}

TEST_F(AesmClientTest, AttesterRejectsAQuoteThatDoesNotCarryTheReport) {
  REQUIRE_VECTORS();
  ASSERT_NO_FATAL_FAILURE(load_quote());
  const Buf& quote = quote_;
  Buf report = report_;
  report[64] ^= 1;  // another MRENCLAVE
  FakeAesmd aesmd(socket_, {select_reply(), init_reply(target_info(0)), size_reply(8000),
                            quote_reply(quote, 8000)});
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
  FakeAesmd second(dir_ + "/second.socket", {select_reply(), init_reply(target_info(0))});
  options.aesm_socket = dir_ + "/second.socket";
  options.sgx_report = [](std::span<const uint8_t, 512>, std::span<const uint8_t, 64>) {
    return base::Result<std::vector<uint8_t>>(std::vector<uint8_t>(100));
  };
  auto short_report = (*make_sgx(options))->collect(report_data_);
  ASSERT_FALSE(short_report.ok());
  EXPECT_NE(short_report.error().message().find("REPORT is 100 bytes, expected 432"),
            std::string::npos)
      << short_report.error().message();
  EXPECT_EQ(second.requests().size(), 2u);
}

TEST_F(AesmClientTest, AutoProbeLooksForAesmdWhenTheEnclaveMakesReports) {
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
