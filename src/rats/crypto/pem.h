// PEM certificate bundles as quotes and collateral carry them (attestation-formats.md §4, §5).
//
// Certificates are found by their markers, `-----BEGIN CERTIFICATE-----` … `-----END
// CERTIFICATE-----`, as Intel's quote verification library splits a chain, not line by line as
// OpenSSL's PEM reader does. Real SGX quotes from 2020-21 (rats-tls, Graphene RA-TLS) carry their
// PCK chain with no line break between one END marker and the next BEGIN, and Intel's PCS has
// served certificates without a final newline. The certification data is not signed, so how it is
// laid out never changes a verdict; only the certificates in it do.
//
// Accepted around and between the blocks: whitespace (space, tab, CR, LF) before the first, any
// whitespace or none between two, whitespace and NUL bytes after the last. Inside a block: base64
// broken by whitespace (LF or CRLF lines, any length), `=` padding only at its end. Anything else
// (stray text, a BEGIN without its END, another PEM type, NUL between certificates, a block
// whose DER has bytes after the certificate) is an invalid_argument error naming the certificate,
// 1-based: "PEM certificate 2 of the chain …", with the byte offset in the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace rats::crypto {

inline constexpr std::string_view kPemCertificateBegin = "-----BEGIN CERTIFICATE-----";
inline constexpr std::string_view kPemCertificateEnd = "-----END CERTIFICATE-----";

// One certificate block of a bundle. `body` points into the input given to the splitter.
struct PemCertificateBlock {
  size_t index = 0;               // 1-based position in the bundle, for messages
  size_t offset = 0;              // of its BEGIN marker in the input
  size_t body_offset = 0;         // of the first byte after the BEGIN marker
  std::span<const uint8_t> body;  // between the markers: base64 and whitespace
};

// The certificate blocks of a PEM bundle, in order. Fails when the input holds no certificate
// or anything the rules above do not accept; the body of each block is checked by
// pem_certificate_der, not here.
base::Result<std::vector<PemCertificateBlock>> split_pem_certificates(std::span<const uint8_t> pem);

// The DER bytes encoded by a block's body (base64 with whitespace ignored). Fails on a character
// that is neither base64 nor whitespace, on misplaced padding and on a length that is not a
// whole number of base64 quanta. Does not check that the DER is a certificate.
base::Result<std::vector<uint8_t>> pem_certificate_der(const PemCertificateBlock& block);

// parse_pem_chain (ecdsa.h) is defined in pem.cpp: split_pem_certificates, pem_certificate_der,
// then OpenSSL's d2i_X509 on each block, which must use all of the block's DER.

}  // namespace rats::crypto
