// Test helper: writes a copy of an Intel quote whose PEM certification data (type 5) is laid out
// another way, for the shelter CLI test (tests/integration/shelter.sh).
// Usage: pem_variant joined|crlf|joined_crlf|padded IN_QUOTE OUT_QUOTE
//   joined       no newline between the certificates (as 2020-21 rats-tls/Graphene quotes)
//   crlf         every LF turned into CRLF
//   joined_crlf  both
//   padded       NULs and whitespace after the last certificate
#include <cstdio>
#include <string>
#include <string_view>

#include "base/file.h"
#include "rats/formats/intel_quote.h"
#include "rats/verifiers/intel/cert_data_variants.h"

int main(int argc, char** argv) {
  using rats::test::PemLayout;
  if (argc != 4) {
    std::fprintf(stderr, "usage: pem_variant joined|crlf|joined_crlf|padded IN_QUOTE OUT_QUOTE\n");
    return 2;
  }
  PemLayout layout;
  std::string_view name = argv[1];
  if (name == "joined") {
    layout = PemLayout::joined;
  } else if (name == "crlf") {
    layout = PemLayout::crlf;
  } else if (name == "joined_crlf") {
    layout = PemLayout::joined_crlf;
  } else if (name == "padded") {
    layout = PemLayout::padded;
  } else {
    std::fprintf(stderr, "pem_variant: unknown layout `%s`\n", argv[1]);
    return 2;
  }
  auto in = base::read_file(argv[2]);
  if (!in.ok()) {
    std::fprintf(stderr, "pem_variant: %s\n", in.error().what().c_str());
    return 1;
  }
  std::vector<uint8_t> quote(in->begin(), in->end());
  auto q = rats::formats::parse_intel_quote(quote);
  if (!q.ok()) {
    std::fprintf(stderr, "pem_variant: `%s`: %s\n", argv[2], q.error().what().c_str());
    return 1;
  }
  if (q->sig.cert_data_type != rats::kCertDataPckChain) {
    std::fprintf(stderr, "pem_variant: `%s`: certification data type %u is not a PEM chain\n",
                 argv[2], q->sig.cert_data_type);
    return 1;
  }
  auto out = rats::test::with_cert_data(quote, rats::test::pem_layout(q->sig.cert_data, layout));
  if (!out.ok()) {
    std::fprintf(stderr, "pem_variant: `%s`: %s\n", argv[2], out.error().what().c_str());
    return 1;
  }
  auto st = base::write_file_atomic(argv[3], std::string(out->begin(), out->end()));
  if (!st.ok()) {
    std::fprintf(stderr, "pem_variant: %s\n", st.error().what().c_str());
    return 1;
  }
  return 0;
}
