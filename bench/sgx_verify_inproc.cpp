// The in-process side of bench/sgx_tools.sh: N verifications of one quote with the sgx_ecdsa
// verifier and one shared CollateralCache (as `sgx-tools verify-quote --quotes-from` sets them
// up), the quote read once. Prints the seconds the N verifications took.
// Usage: sgx_verify_inproc QUOTE COLLATERAL_JSON AT N
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "base/file.h"
#include "rats/core/cache.h"
#include "rats/verifier.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: sgx_verify_inproc QUOTE COLLATERAL_JSON AT N\n");
    return 2;
  }
  auto quote = base::read_file(argv[1]);
  auto collateral = rats::load_collateral_json(argv[2]);
  if (!quote.ok() || !collateral.ok()) {
    std::fprintf(stderr, "sgx_verify_inproc: cannot read the quote or the collateral\n");
    return 2;
  }
  rats::VerifierOptions vo;
  vo.cache = std::make_shared<rats::CollateralCache>();
  auto verifier = rats::make_verifier("sgx_ecdsa", vo);
  if (!verifier.ok()) return 2;
  rats::VerifyRequest req;
  req.evidence = std::span(reinterpret_cast<const uint8_t*>(quote->data()), quote->size());
  req.collateral = &*collateral;
  req.at = std::atoll(argv[3]);
  const long n = std::atol(argv[4]);
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    auto v = (*verifier)->verify(req);
    if (!v.ok() || !v->trusted) {
      std::fprintf(stderr, "sgx_verify_inproc: verification %ld failed\n", i);
      return 1;
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.6f\n", s);
  return 0;
}
