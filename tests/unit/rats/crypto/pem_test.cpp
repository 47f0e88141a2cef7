// Tests of src/rats/crypto/pem.cpp: PEM certificate bundles split by their markers (back to back,
// CRLF, trailing NULs and whitespace accepted) and each other layout rejected with an error that
// names the certificate. The certificates are made here, so these tests need no vectors; the last
// one checks the single-object readers on real files.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "rats/crypto/ecdsa.h"
#include "rats/crypto/pem.h"
#include "rats/crypto/x509.h"
#include "rats/vectors.h"

namespace rats::crypto {
namespace {

using test::Buf;

Buf bytes(std::string_view s) {
  return Buf(s.begin(), s.end());
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

// A self-signed P-256 certificate with CN=`cn`.
X509Ptr make_cert(const std::string& cn) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) return nullptr;
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return nullptr;
  return cert;
}

// PEM as OpenSSL writes it: 64-character lines, each ending in LF.
std::string to_pem(const X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), const_cast<X509*>(cert));
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Buf to_der(const X509* cert) {
  int len = i2d_X509(cert, nullptr);
  Buf der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  i2d_X509(cert, &p);
  return der;
}

Buf crl_der(const X509_CRL* crl) {
  int len = i2d_X509_CRL(crl, nullptr);
  Buf der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  i2d_X509_CRL(crl, &p);
  return der;
}

// A CERTIFICATE block around the base64 of `der`, in 64-character lines.
std::string block_of(const Buf& der) {
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der.data(),
                          static_cast<int>(der.size()));
  b64.resize(static_cast<size_t>(n));
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END CERTIFICATE-----\n";
}

class RatsPem : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* cn : {"one", "two", "three"}) {
      certs_.push_back(make_cert(cn));
      ASSERT_TRUE(certs_.back()) << "could not make a test certificate";
      pem_.push_back(to_pem(certs_.back().get()));
    }
    chain_ = pem_[0] + pem_[1] + pem_[2];
  }

  // The chain parsed from `text` holds the three certificates, in order.
  void expect_the_three(const std::string& text) {
    auto chain = parse_pem_chain(bytes(text));
    ASSERT_TRUE(chain.ok()) << chain.error().message();
    ASSERT_EQ(chain->size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(X509_cmp((*chain)[i].get(), certs_[i].get()), 0) << "certificate " << i + 1;
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
  }

  // parse_pem_chain fails on `text` with an invalid_argument error containing each of `parts`.
  void expect_error(const std::string& text, std::vector<std::string> parts) {
    auto chain = parse_pem_chain(bytes(text));
    ASSERT_FALSE(chain.ok()) << "accepted: " << text;
    EXPECT_EQ(chain.error().category(), base::Category::invalid_argument);
    for (const auto& part : parts) {
      EXPECT_NE(chain.error().message().find(part), std::string::npos)
          << "want `" << part << "` in: " << chain.error().message();
    }
    EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL error queue left non-empty";
    ERR_clear_error();
  }

  std::vector<X509Ptr> certs_;
  std::vector<std::string> pem_;
  std::string chain_;
};

// ---------------------------------------------------------------------------------------------
// Accepted layouts

TEST_F(RatsPem, SplitsANewlineSeparatedChainAtItsMarkers) {
  Buf in = bytes(chain_);
  auto blocks = split_pem_certificates(in);
  ASSERT_TRUE(blocks.ok()) << blocks.error().message();
  ASSERT_EQ(blocks->size(), 3u);
  size_t offset = 0;
  for (size_t i = 0; i < 3; ++i) {
    const auto& b = (*blocks)[i];
    EXPECT_EQ(b.index, i + 1);
    EXPECT_EQ(b.offset, offset);
    EXPECT_EQ(b.body_offset, offset + kPemCertificateBegin.size());
    EXPECT_EQ(b.body.data(), in.data() + b.body_offset);
    // The body ends where the END marker starts.
    EXPECT_EQ(b.body_offset + b.body.size() + kPemCertificateEnd.size() + 1,
              offset + pem_[i].size());
    offset += pem_[i].size();
  }
  expect_the_three(chain_);
}

TEST_F(RatsPem, AcceptsCertificatesBackToBack) {
  // As 2020-21 rats-tls and Graphene quotes carry them: END and the next BEGIN on one line.
  std::string joined = replace_all(chain_, "-----\n-----BEGIN", "----------BEGIN");
  ASSERT_NE(joined.find("-----END CERTIFICATE----------BEGIN CERTIFICATE-----"), std::string::npos);
  expect_the_three(joined);
  // ... also without a newline after the last END.
  joined.pop_back();
  expect_the_three(joined);
}

TEST_F(RatsPem, AcceptsCrlfLineEnds) {
  std::string crlf = replace_all(chain_, "\n", "\r\n");
  ASSERT_EQ(crlf.size(), chain_.size() + std::count(chain_.begin(), chain_.end(), '\n'));
  expect_the_three(crlf);
  // CRLF inside the blocks, nothing between them.
  expect_the_three(replace_all(crlf, "-----\r\n-----BEGIN", "----------BEGIN"));
}

TEST_F(RatsPem, AcceptsTrailingNulsAndWhitespaceAndLeadingWhitespace) {
  expect_the_three(chain_ + std::string(1, '\0'));
  expect_the_three(chain_ + std::string("\n\0\0 \r\n\t\0", 8));
  std::string no_final_newline = chain_.substr(0, chain_.size() - 1);
  expect_the_three(no_final_newline + std::string(3, '\0'));
  expect_the_three(" \r\n\t\n" + chain_);
}

TEST_F(RatsPem, AcceptsBlankLinesBetweenCertificatesAndAnyBase64LineLength) {
  expect_the_three(pem_[0] + "\n\r\n  \n" + pem_[1] + "\t" + pem_[2]);
  // The base64 of each certificate on one line, and in 76-character lines.
  std::string one_line;
  std::string wide;
  for (const auto& p : pem_) {
    size_t body = kPemCertificateBegin.size() + 1;
    size_t end = p.find(kPemCertificateEnd);
    std::string b64 = replace_all(p.substr(body, end - body), "\n", "");
    one_line += std::string(kPemCertificateBegin) + "\n" + b64 + "\n" +
                std::string(kPemCertificateEnd) + "\n";
    wide += std::string(kPemCertificateBegin) + "\n";
    for (size_t i = 0; i < b64.size(); i += 76) wide += b64.substr(i, 76) + "\n";
    wide += std::string(kPemCertificateEnd) + "\n";
  }
  expect_the_three(one_line);
  expect_the_three(wide);
}

// ---------------------------------------------------------------------------------------------
// Rejected layouts: each error names the certificate it is about

TEST_F(RatsPem, AnInputWithoutCertificatesIsAnError) {
  for (std::string text : {std::string(), std::string(" \r\n\t"), std::string(2, '\0'),
                           std::string("no certificates here\n")}) {
    expect_error(text, {"PEM chain holds no certificate"});
  }
  expect_error("no certificates here\n", {"`no certificates here\\x0a`", "offset 0"});
}

TEST_F(RatsPem, StrayTextBeforeBetweenOrAfterCertificatesNamesItsPlace) {
  expect_error("junk\n" + chain_, {"PEM certificate 1 of the chain", "offset 0 holds `junk"});
  std::string between = pem_[0] + "garbage\n" + pem_[1] + pem_[2];
  expect_error(between, {"PEM certificate 2 of the chain",
                         "offset " + std::to_string(pem_[0].size()) + " holds `garbage",
                         "or the end of the chain"});
  expect_error(chain_ + "trailer", {"PEM certificate 4 of the chain", "holds `trailer`"});
  // Leading NUL is not leading whitespace.
  expect_error(std::string(1, '\0') + chain_, {"PEM certificate 1 of the chain", "`\\x00"});
}

TEST_F(RatsPem, NulBytesOnlyEndTheChain) {
  std::string nul_between = pem_[0] + std::string(1, '\0') + pem_[1] + pem_[2];
  expect_error(nul_between, {"PEM certificate 2 of the chain",
                             "after a NUL byte at offset " + std::to_string(pem_[0].size())});
  expect_error(chain_ + std::string(1, '\0') + "x", {"PEM certificate 4 of the chain", "`x`"});
}

TEST_F(RatsPem, ABlockCutShortOrWithoutEndIsAnError) {
  // Certificate 2 loses its second half, END line included.
  std::string cut = pem_[0] + pem_[1].substr(0, pem_[1].size() / 2) + "\n" + pem_[2];
  size_t next_begin = cut.rfind(kPemCertificateBegin);
  expect_error(
      cut, {"PEM certificate 2 of the chain", "BEGIN at offset " + std::to_string(pem_[0].size()),
            "has no `-----END CERTIFICATE-----` before the `-----BEGIN` at offset " +
                std::to_string(next_begin)});
  // The last certificate's END is missing.
  std::string no_end = chain_.substr(0, chain_.rfind(kPemCertificateEnd));
  expect_error(no_end, {"PEM certificate 3 of the chain", "has no `-----END CERTIFICATE-----`"});
}

TEST_F(RatsPem, AnotherPemTypeWhereACertificateBelongsIsAnError) {
  std::string crl = "-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n";
  expect_error(pem_[0] + crl + pem_[1],
               {"PEM certificate 2 of the chain", "is a `X509 CRL` block, not a CERTIFICATE"});
  std::string key = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";
  expect_error(key + chain_, {"PEM certificate 1 of the chain", "`PRIVATE KEY`"});
  // A block that begins as a certificate but ends as something else.
  std::string mixed = pem_[0] + replace_all(pem_[1], "END CERTIFICATE", "END X509 CRL");
  expect_error(mixed, {"PEM certificate 2 of the chain", "has no `-----END CERTIFICATE-----`"});
}

TEST_F(RatsPem, BadBase64InsideABlockNamesItsCertificateAndOffset) {
  std::string bad = chain_;
  size_t pos = pem_[0].size() + kPemCertificateBegin.size() + 10;
  bad[pos] = '!';
  expect_error(bad, {"PEM certificate 2 of the chain", "byte `!` at offset " + std::to_string(pos),
                     "neither base64 nor whitespace"});

  // One base64 character fewer: not a whole number of quanta.
  std::string short_one = chain_;
  short_one.erase(pos, 1);
  expect_error(short_one, {"PEM certificate 2 of the chain", "not a multiple of 4"});

  // Padding in the middle.
  std::string mid_pad = chain_;
  mid_pad[pos] = '=';
  expect_error(mid_pad, {"PEM certificate 2 of the chain",
                         "after the `=` padding at offset " + std::to_string(pos)});

  expect_error(pem_[0] + "-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n",
               {"PEM certificate 2 of the chain", "is empty"});
}

TEST_F(RatsPem, ABlockMustHoldOneCertificateAndNothingElse) {
  Buf der = to_der(certs_[1].get());
  Buf longer = der;
  longer.push_back(0x05);
  longer.push_back(0x00);
  expect_error(
      pem_[0] + block_of(longer) + pem_[2],
      {"PEM certificate 2 of the chain",
       "holds a " + std::to_string(der.size()) + "-byte certificate followed by 2 more DER bytes"});
  // Sanity check of the helper: the same block without the extra bytes is accepted.
  expect_the_three(pem_[0] + block_of(der) + pem_[2]);

  expect_error(pem_[0] + pem_[1] + block_of(bytes("not a certificate")),
               {"PEM certificate 3 of the chain", "is not a valid X.509 certificate"});
}

TEST_F(RatsPem, TheDecodedBodyIsTheCertificatesDer) {
  Buf in = bytes(replace_all(chain_, "\n", "\r\n"));
  auto blocks = split_pem_certificates(in);
  ASSERT_TRUE(blocks.ok()) << blocks.error().message();
  ASSERT_EQ(blocks->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    auto der = pem_certificate_der((*blocks)[i]);
    ASSERT_TRUE(der.ok()) << der.error().message();
    EXPECT_EQ(*der, to_der(certs_[i].get())) << "certificate " << i + 1;
  }
}

// The readers of one certificate or one CRL (pck_cert, root_ca, the CRL roles) stop at the first
// END line, so they never meet the back-to-back layout. They accept the same line ends and
// trailing bytes as a chain, as OpenSSL's PEM reader already does.
TEST_F(RatsPem, SingleCertificateAndCrlReadersAcceptTheSameLineEndsAndTrailers) {
  REQUIRE_VECTORS();
  struct Single {
    const char* file;
    bool crl;
  };
  for (Single s : {Single{"sgx/signal-cdsi/pck_leaf.pem", false},
                   Single{"tdx/go-tdx-guest/verify_trusted_root.pem", false},
                   Single{"sgx/intel-dcap-qvl-sample/intermediateCaCrl.pem", true}}) {
    Buf original = test::load(s.file);
    ASSERT_FALSE(original.empty()) << s.file;
    std::string text(original.begin(), original.end());
    while (!text.empty() && text.back() == '\n') text.pop_back();  // no final newline
    for (std::string variant :
         {text, replace_all(text, "\n", "\r\n") + "\r\n", text + std::string("\n\0\0", 3)}) {
      if (s.crl) {
        auto crl = parse_crl(bytes(variant));
        ASSERT_TRUE(crl.ok()) << s.file << ": " << crl.error().message();
        auto want = parse_crl(original);
        ASSERT_TRUE(want.ok());
        EXPECT_EQ(crl_der(crl->get()), crl_der(want->get())) << s.file;
      } else {
        auto cert = parse_certificate(bytes(variant));
        ASSERT_TRUE(cert.ok()) << s.file << ": " << cert.error().message();
        auto want = parse_certificate(original);
        ASSERT_TRUE(want.ok());
        EXPECT_EQ(X509_cmp(cert->get(), want->get()), 0) << s.file;
      }
    }
  }
}

}  // namespace
}  // namespace rats::crypto
