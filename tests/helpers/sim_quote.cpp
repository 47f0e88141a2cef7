// Test helper: writes a sim TEE quote (SGX v3 shape) for the given report data.
// Usage: sim_quote STATE_DIR REPORT_DATA_HEX OUT_FILE
#include <cstdio>
#include <ctime>

#include "base/encoding.h"
#include "base/file.h"
#include "rats/sim/sim_tee.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: sim_quote STATE_DIR REPORT_DATA_HEX OUT_FILE\n");
    return 2;
  }
  auto rd_bytes = base::hex_decode(argv[2]);
  if (!rd_bytes || rd_bytes->size() > 64) {
    std::fprintf(stderr, "sim_quote: report data must be at most 64 bytes of hex\n");
    return 2;
  }
  rats::Bytes<64> rd{};
  std::copy(rd_bytes->begin(), rd_bytes->end(), rd.begin());
  auto tee = rats::sim::SimTee::open(argv[1], static_cast<int64_t>(std::time(nullptr)));
  if (!tee.ok()) {
    std::fprintf(stderr, "sim_quote: %s\n", tee.error().what().c_str());
    return 1;
  }
  auto quote = tee->make_quote(rd, rats::sim::EnclaveIdentity{});
  if (!quote.ok()) {
    std::fprintf(stderr, "sim_quote: %s\n", quote.error().what().c_str());
    return 1;
  }
  auto st = base::write_file_atomic(argv[3], std::string(quote->begin(), quote->end()));
  if (!st.ok()) {
    std::fprintf(stderr, "sim_quote: %s\n", st.error().what().c_str());
    return 1;
  }
  return 0;
}
