#include "rats/crypto/openssl_util.h"

#include <climits>

#include <openssl/err.h>

namespace rats::crypto {

std::string drain_openssl_errors() {
  std::string out;
  char buf[256];
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

base::Error openssl_error(base::Category cat, std::string what) {
  std::string reasons = drain_openssl_errors();
  if (!reasons.empty()) what += " (" + reasons + ")";
  return base::Error(cat, std::move(what));
}

base::Error internal(std::string what) {
  return openssl_error(base::Category::internal, std::move(what));
}

base::Result<BioPtr> memory_bio(std::span<const uint8_t> data) {
  if (data.size() > INT_MAX)
    return base::invalid("input of " + std::to_string(data.size()) +
                         " bytes is too large for OpenSSL");
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) return internal("BIO_new_mem_buf failed");
  return bio;
}

}  // namespace rats::crypto
