// Tests of the configfs-tsm and Gramine attesters (src/rats/attesters). No real configfs here:
// the tsm hooks play the kernel's part on an ordinary folder (the attribute files appear after
// mkdir, disappear before rmdir), with real TDX quotes and SNP reports as the outblob.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/file.h"
#include "rats/attesters/attesters.h"
#include "rats/attesters/tsm.h"
#include "rats/formats/intel_quote.h"
#include "rats/formats/snp_report.h"
#include "rats/vectors.h"
#include "temp_dir.h"

namespace rats::attesters {
namespace {

using test::Buf;
using test::load;

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  return out;
}

void put(const std::string& path, std::string_view data) {
  ASSERT_TRUE(base::write_file_atomic(path, data).ok()) << path;
}

std::string text(const Buf& b) {
  return std::string(b.begin(), b.end());
}

// A pretend configfs-tsm provider: what the kernel would show in a new report entry.
struct FakeKernel {
  std::string provider = "tdx_guest";
  Buf outblob;
  std::optional<Buf> auxblob;
  int bump_generation = 0;  // times to change generation after outblob is read
  // Seen by the kernel:
  std::vector<std::string> inblob_writes;
  std::string privlevel;
  std::string entry_seen;
  int generation = 0;

  tsm::Hooks hooks() {
    tsm::Hooks h;
    h.after_mkdir = [this](const std::string& e) {
      entry_seen = e;
      put(e + "/provider", provider + "\n");
      put(e + "/generation", std::to_string(generation) + "\n");
      put(e + "/inblob", "");
      put(e + "/privlevel", "");
      put(e + "/outblob", text(outblob));
      if (auxblob) put(e + "/auxblob", text(*auxblob));
    };
    h.after_outblob = [this](const std::string& e) {
      inblob_writes.push_back(*base::read_file(e + "/inblob"));
      if (bump_generation > 0) {
        --bump_generation;
        put(e + "/generation", std::to_string(++generation) + "\n");
      }
    };
    h.before_rmdir = [this](const std::string& e) {
      privlevel = base::read_file(e + "/privlevel").ok() ? *base::read_file(e + "/privlevel") : "";
      for (const auto& n : entries(e)) unlink((e + "/" + n).c_str());
    };
    return h;
  }
};

class RatsTsmTest : public testutil::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    root_ = dir_ + "/report";
    ASSERT_EQ(mkdir(root_.c_str(), 0700), 0);
    opts_.tsm_root = root_;
  }
  std::string root_;
  AttesterOptions opts_;
};

Bytes<64> tdx_report_data(const Buf& quote) {
  auto q = formats::parse_intel_quote(quote);
  EXPECT_TRUE(q.ok());
  return q.ok() && q->td_body() ? q->td_body()->report_data : Bytes<64>{};
}

TEST_F(RatsTsmTest, TdxCollectWritesTheReportDataAndReturnsTheQuote) {
  REQUIRE_VECTORS();
  FakeKernel k;
  k.outblob = load("tdx/phala-dcap-qvl/quote.bin");
  Bytes<64> rd = tdx_report_data(k.outblob);
  auto att = make_tdx(opts_, k.hooks());
  ASSERT_TRUE(att.ok());
  EXPECT_EQ((*att)->name(), "tdx_ecdsa");
  auto ev = (*att)->collect(rd);
  ASSERT_TRUE(ev.ok()) << ev.error().what();
  EXPECT_EQ(*ev, k.outblob);
  ASSERT_EQ(k.inblob_writes.size(), 1u);
  EXPECT_EQ(k.inblob_writes[0], std::string(rd.begin(), rd.end()));
  EXPECT_EQ(k.privlevel, "");  // TDX has no privlevel
  EXPECT_EQ(k.entry_seen.rfind(root_ + "/", 0), 0u);
  EXPECT_TRUE(entries(root_).empty());
}

TEST_F(RatsTsmTest, TdxReportDataMismatchIsAnError) {
  REQUIRE_VECTORS();
  FakeKernel k;
  k.outblob = load("tdx/phala-dcap-qvl/quote.bin");
  Bytes<64> rd = tdx_report_data(k.outblob);
  rd[0] ^= 0xff;
  auto att = make_tdx(opts_, k.hooks());
  ASSERT_TRUE(att.ok());
  auto ev = (*att)->collect(rd);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.error().message().find("REPORTDATA"), std::string::npos) << ev.error().message();
  EXPECT_NE(ev.error().message().find(test::hex(rd)), std::string::npos);
  EXPECT_TRUE(entries(root_).empty());
}

TEST_F(RatsTsmTest, ProviderMismatchNamesBoth) {
  REQUIRE_VECTORS();
  FakeKernel k;
  k.provider = "sev_guest";
  k.outblob = load("tdx/phala-dcap-qvl/quote.bin");
  auto att = make_tdx(opts_, k.hooks());
  ASSERT_TRUE(att.ok());
  auto ev = (*att)->collect(tdx_report_data(k.outblob));
  ASSERT_FALSE(ev.ok());
  const std::string& m = ev.error().message();
  EXPECT_NE(m.find("`sev_guest`"), std::string::npos) << m;
  EXPECT_NE(m.find("`tdx_guest`"), std::string::npos) << m;
  EXPECT_NE(m.find("/provider`"), std::string::npos) << m;
  EXPECT_TRUE(entries(root_).empty());
}

TEST_F(RatsTsmTest, MissingRootIsAClearError) {
  opts_.tsm_root = dir_ + "/no-such-tsm";
  auto att = make_tdx(opts_);
  ASSERT_TRUE(att.ok());
  Bytes<64> rd{};
  auto ev = (*att)->collect(rd);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.error().message().find("`" + dir_ + "/no-such-tsm`"), std::string::npos)
      << ev.error().message();
  EXPECT_NE(ev.error().message().find("configfs"), std::string::npos);
  auto snp = make_snp(opts_);
  ASSERT_TRUE(snp.ok());
  EXPECT_FALSE((*snp)->collect(rd).ok());
}

TEST_F(RatsTsmTest, OutblobThatIsNotAQuoteIsAnErrorAndTheEntryIsRemoved) {
  REQUIRE_VECTORS();
  FakeKernel k;
  k.outblob = load("snp/trustee/test-report.bin");  // an SNP report from a "tdx_guest"
  auto att = make_tdx(opts_, k.hooks());
  ASSERT_TRUE(att.ok());
  Bytes<64> rd{};
  auto ev = (*att)->collect(rd);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.error().message().find("not a TDX quote"), std::string::npos)
      << ev.error().message();
  EXPECT_TRUE(entries(root_).empty());

  FakeKernel empty;
  auto att2 = make_tdx(opts_, empty.hooks());
  auto ev2 = (*att2)->collect(rd);
  ASSERT_FALSE(ev2.ok());
  EXPECT_NE(ev2.error().message().find("outblob"), std::string::npos);
  EXPECT_TRUE(entries(root_).empty());
}

TEST_F(RatsTsmTest, SnpCollectWritesPrivlevelAndChecksTheReport) {
  REQUIRE_VECTORS();
  FakeKernel k;
  k.provider = "sev_guest";
  k.outblob = load("snp/trustee/test-report.bin");
  k.auxblob = Buf(32, 0);
  auto parsed = formats::parse_snp_report(k.outblob);
  ASSERT_TRUE(parsed.ok());
  auto att = make_snp(opts_, k.hooks(), 0u);
  ASSERT_TRUE(att.ok());
  EXPECT_EQ((*att)->name(), "snp");
  auto ev = (*att)->collect(parsed->report_data);
  ASSERT_TRUE(ev.ok()) << ev.error().what();
  EXPECT_EQ(*ev, k.outblob);
  EXPECT_EQ(k.privlevel, "0");
  ASSERT_EQ(k.inblob_writes.size(), 1u);
  EXPECT_EQ(k.inblob_writes[0],
            std::string(parsed->report_data.begin(), parsed->report_data.end()));
  EXPECT_TRUE(entries(root_).empty());

  // Another report data than the report's.
  Bytes<64> other = parsed->report_data;
  other[5] ^= 1;
  auto bad = (*att)->collect(other);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("REPORT_DATA"), std::string::npos);
  EXPECT_TRUE(entries(root_).empty());

  // A VMPL other than the one requested (the VLEK report is VMPL 1).
  FakeKernel v;
  v.provider = "sev_guest";
  v.outblob = load("snp/trustee/test-vlek-report.bin");
  auto vp = formats::parse_snp_report(v.outblob);
  ASSERT_TRUE(vp.ok());
  auto att0 = make_snp(opts_, v.hooks(), 0u);
  auto wrong = (*att0)->collect(vp->report_data);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("VMPL 1"), std::string::npos);
}

TEST_F(RatsTsmTest, SnpRejectsATdxProvider) {
  REQUIRE_VECTORS();
  FakeKernel k;  // provider tdx_guest
  k.outblob = load("snp/trustee/test-report.bin");
  auto att = make_snp(opts_, k.hooks());
  auto ev = (*att)->collect(formats::parse_snp_report(k.outblob)->report_data);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.error().message().find("`tdx_guest`"), std::string::npos);
  EXPECT_NE(ev.error().message().find("`sev_guest`"), std::string::npos);
  EXPECT_TRUE(entries(root_).empty());
}

TEST_F(RatsTsmTest, ChangedGenerationIsRetriedThenGivenUp) {
  REQUIRE_VECTORS();
  FakeKernel k;
  k.provider = "sev_guest";
  k.outblob = load("snp/trustee/test-report.bin");
  k.bump_generation = 1;
  Bytes<64> rd = formats::parse_snp_report(k.outblob)->report_data;
  auto blobs = tsm::collect(root_, "sev_guest", rd, std::nullopt, k.hooks());
  ASSERT_TRUE(blobs.ok()) << blobs.error().what();
  EXPECT_EQ(blobs->outblob, k.outblob);
  EXPECT_TRUE(blobs->auxblob.empty());
  EXPECT_EQ(k.inblob_writes.size(), 2u);  // the retry writes inblob again
  EXPECT_TRUE(entries(root_).empty());

  FakeKernel busy = k;
  busy.inblob_writes.clear();
  busy.bump_generation = 100;
  auto failed = tsm::collect(root_, "sev_guest", rd, std::nullopt, busy.hooks());
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("generation"), std::string::npos);
  EXPECT_EQ(busy.inblob_writes.size(), 3u);
  EXPECT_TRUE(entries(root_).empty());
}

TEST_F(RatsTsmTest, AuxblobIsReturnedWhenPresent) {
  REQUIRE_VECTORS();
  FakeKernel k;
  k.provider = "sev_guest";
  k.outblob = load("snp/trustee/test-report.bin");
  k.auxblob = Buf{1, 2, 3};
  Bytes<64> rd{};
  auto blobs = tsm::collect(root_, "sev_guest", rd, 2u, k.hooks());
  ASSERT_TRUE(blobs.ok()) << blobs.error().what();
  EXPECT_EQ(blobs->auxblob, (Buf{1, 2, 3}));
  EXPECT_EQ(k.privlevel, "2");
}

TEST_F(RatsTsmTest, FailedStepNamesThePath) {
  // No hooks: the entry has no attribute files, as on a folder that is not configfs.
  Bytes<64> rd{};
  auto r = tsm::collect(root_, "tdx_guest", rd);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find(root_ + "/"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("inblob"), std::string::npos) << r.error().message();
  EXPECT_TRUE(entries(root_).empty());
}

// ---------------------------------------------------------------------------------------------
// Gramine /dev/attestation

class RatsSgxAttesterTest : public testutil::TempDirTest {};

TEST_F(RatsSgxAttesterTest, WritesUserReportDataAndReadsTheQuote) {
  REQUIRE_VECTORS();
  Buf quote = load("sgx/occlum-trustee/occlum_quote.dat");
  auto q = formats::parse_intel_quote(quote);
  ASSERT_TRUE(q.ok());
  ASSERT_NE(q->sgx_body(), nullptr);
  Bytes<64> rd = q->sgx_body()->report_data;
  put(dir_ + "/attestation_type", "dcap");
  put(dir_ + "/user_report_data", "");
  put(dir_ + "/quote", text(quote));
  auto att = make_sgx(AttesterOptions{}, dir_);
  ASSERT_TRUE(att.ok());
  EXPECT_EQ((*att)->name(), "sgx_ecdsa");
  auto ev = (*att)->collect(rd);
  ASSERT_TRUE(ev.ok()) << ev.error().what();
  EXPECT_EQ(*ev, quote);
  EXPECT_EQ(*base::read_file(dir_ + "/user_report_data"), std::string(rd.begin(), rd.end()));

  Bytes<64> other = rd;
  other[0] ^= 1;
  auto bad = (*att)->collect(other);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("REPORTDATA"), std::string::npos);
}

TEST_F(RatsSgxAttesterTest, RejectsTdxQuotesEpidAndAMissingDevice) {
  REQUIRE_VECTORS();
  put(dir_ + "/user_report_data", "");
  put(dir_ + "/quote", text(load("tdx/phala-dcap-qvl/quote.bin")));
  auto att = make_sgx(AttesterOptions{}, dir_);
  Bytes<64> rd{};
  auto tdx = (*att)->collect(rd);
  ASSERT_FALSE(tdx.ok());
  EXPECT_NE(tdx.error().message().find("TDX"), std::string::npos);

  put(dir_ + "/attestation_type", "epid\n");
  auto epid = (*att)->collect(rd);
  ASSERT_FALSE(epid.ok());
  EXPECT_NE(epid.error().message().find("`epid`"), std::string::npos);

  auto missing = make_sgx(AttesterOptions{}, dir_ + "/absent");
  auto m = (*missing)->collect(rd);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message().find("`" + dir_ + "/absent`"), std::string::npos);
}

}  // namespace
}  // namespace rats::attesters
