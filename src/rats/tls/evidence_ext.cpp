// The evidence extensions of RA-TLS certificates (attestation-formats.md §7): the TCG DICE
// conceptual-message-wrapper (CBOR, libcbor) and the Intel/Gramine raw-quote extension.
#include <cbor.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include "rats/crypto/ecdsa.h"
#include "rats/crypto/openssl_util.h"
#include "rats/tls.h"

namespace rats::tls {

namespace {

struct CborDeleter {
  void operator()(cbor_item_t* p) const { cbor_decref(&p); }
};
using CborPtr = std::unique_ptr<cbor_item_t, CborDeleter>;

// Serializes `item`; an empty vector when libcbor could not allocate.
std::vector<uint8_t> serialize(const cbor_item_t* item) {
  unsigned char* buf = nullptr;
  size_t cap = 0;
  size_t n = cbor_serialize_alloc(item, &buf, &cap);
  std::vector<uint8_t> out(buf, buf + n);
  free(buf);
  return out;
}

CborPtr bstr(std::span<const uint8_t> data) {
  return CborPtr(cbor_build_bytestring(data.data(), data.size()));
}

// A definite array of `items` (each kept by the array).
CborPtr array(std::initializer_list<cbor_item_t*> items) {
  CborPtr a(cbor_new_definite_array(items.size()));
  if (!a) return a;
  for (cbor_item_t* item : items) {
    if (item == nullptr || !cbor_array_push(a.get(), item)) return nullptr;
  }
  return a;
}

// Walks one CBOR item's headers without allocating and fails when a declared length or count
// could not fit in the bytes that remain, on indefinite lengths (not used by these formats) or
// when nesting is deeper than `depth`. libcbor allocates by the declared counts before it reads
// the items, so an array that claims 2^32 entries in a few bytes would exhaust memory (found by
// fuzz_rats_tls_evidence). Returns the offset after the item.
std::optional<size_t> bounded_item(std::span<const uint8_t> d, size_t pos, int depth) {
  if (depth <= 0 || pos >= d.size()) return std::nullopt;
  uint8_t major = d[pos] >> 5, info = d[pos] & 0x1f;
  ++pos;
  uint64_t value = info;
  if (info >= 24 && info <= 27) {
    size_t n = size_t(1) << (info - 24);
    if (d.size() - pos < n) return std::nullopt;
    value = 0;
    for (size_t i = 0; i < n; ++i) value = value << 8 | d[pos + i];
    pos += n;
  } else if (info > 27) {
    return std::nullopt;  // reserved, or indefinite length / break
  }
  size_t remaining = d.size() - pos;
  switch (major) {
    case 0:
    case 1:
    case 7:
      return pos;  // integers, simple values and floats: the header is the item
    case 2:
    case 3:
      if (value > remaining) return std::nullopt;
      return pos + value;
    case 4:
    case 5: {
      uint64_t items = major == 5 ? value * 2 : value;
      if (value > remaining || items > remaining) return std::nullopt;
      for (uint64_t i = 0; i < items; ++i) {
        auto next = bounded_item(d, pos, depth - 1);
        if (!next) return std::nullopt;
        pos = *next;
      }
      return pos;
    }
    case 6:
      return bounded_item(d, pos, depth - 1);
  }
  return std::nullopt;
}

// Parses one whole CBOR item: trailing bytes are an error.
base::Result<CborPtr> load(std::span<const uint8_t> data, std::string_view what) {
  if (!bounded_item(data, 0, 16)) {
    return base::invalid(std::string(what) +
                         ": malformed CBOR (a length or count beyond the input, an indefinite "
                         "length, or nesting deeper than 16)");
  }
  cbor_load_result res{};
  CborPtr item(cbor_load(data.data(), data.size(), &res));
  if (!item || res.error.code != CBOR_ERR_NONE) {
    return base::invalid(std::string(what) + ": malformed CBOR at byte " +
                         std::to_string(res.error.position));
  }
  if (res.read != data.size()) {
    return base::invalid(std::string(what) + ": " + std::to_string(data.size() - res.read) +
                         " bytes after the CBOR item");
  }
  return item;
}

base::Result<std::vector<uint8_t>> bytes_of(const cbor_item_t* item, std::string_view what) {
  if (!cbor_isa_bytestring(item)) return base::invalid(std::string(what) + " is not a byte string");
  if (!cbor_bytestring_is_definite(item)) {
    std::vector<uint8_t> out;
    cbor_item_t** chunks = cbor_bytestring_chunks_handle(item);
    for (size_t i = 0; i < cbor_bytestring_chunk_count(item); ++i) {
      const uint8_t* p = cbor_bytestring_handle(chunks[i]);
      out.insert(out.end(), p, p + cbor_bytestring_length(chunks[i]));
    }
    return out;
  }
  const uint8_t* p = cbor_bytestring_handle(item);
  return std::vector<uint8_t>(p, p + cbor_bytestring_length(item));
}

std::optional<std::string> text_of(const cbor_item_t* item) {
  if (!cbor_isa_string(item) || !cbor_string_is_definite(item)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(cbor_string_handle(item)),
                     cbor_string_length(item));
}

// The DER content bytes of the OID `obj` (no tag, no length).
std::span<const uint8_t> oid_bytes(const ASN1_OBJECT* obj) {
  size_t n = OBJ_length(obj);
  const unsigned char* p = OBJ_get0_data(obj);
  return p == nullptr ? std::span<const uint8_t>() : std::span<const uint8_t>(p, n);
}

bool same(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::vector<uint8_t> encode_dice_evidence(const DiceEvidence& value) {
  CborPtr ev = bstr(value.evidence), claims = bstr(value.claims);
  if (!ev || !claims) return {};
  CborPtr arr = array({ev.get(), claims.get()});
  if (!arr) return {};
  CborPtr tag(cbor_build_tag(kCborTagTeeQuote, arr.get()));
  if (!tag) return {};
  return serialize(tag.get());
}

base::Result<DiceEvidence> decode_dice_evidence(std::span<const uint8_t> cbor) {
  ASSIGN_OR_RETURN(CborPtr root, load(cbor, "DICE evidence"));
  if (!cbor_isa_tag(root.get()))
    return base::invalid("DICE evidence: not a CBOR tag (expected tag 60000)");
  if (cbor_tag_value(root.get()) != kCborTagTeeQuote) {
    return base::invalid("DICE evidence: CBOR tag " + std::to_string(cbor_tag_value(root.get())) +
                         " is not 60000 (TEE quote)");
  }
  CborPtr arr(cbor_tag_item(root.get()));
  if (!cbor_isa_array(arr.get()) || cbor_array_size(arr.get()) != 2)
    return base::invalid("DICE evidence: tag 60000 must hold an array [evidence, claims]");
  cbor_item_t** items = cbor_array_handle(arr.get());
  DiceEvidence out;
  ASSIGN_OR_RETURN(out.evidence, bytes_of(items[0], "DICE evidence: evidence"));
  ASSIGN_OR_RETURN(out.claims, bytes_of(items[1], "DICE evidence: claims"));
  return out;
}

std::vector<uint8_t> encode_claims(std::span<const uint8_t, 32> spki_sha256) {
  CborPtr alg(cbor_build_uint8(1)), hash = bstr(spki_sha256);
  if (!alg || !hash) return {};
  CborPtr pair = array({alg.get(), hash.get()});
  if (!pair) return {};
  std::vector<uint8_t> pair_bytes = serialize(pair.get());
  CborPtr key(cbor_build_string("pubkey-hash")), value = bstr(pair_bytes);
  CborPtr map(cbor_new_definite_map(1));
  if (!key || !value || !map || !cbor_map_add(map.get(), {key.get(), value.get()})) return {};
  return serialize(map.get());
}

base::Result<Claims> decode_claims(std::span<const uint8_t> cbor) {
  ASSIGN_OR_RETURN(CborPtr map, load(cbor, "claims"));
  if (!cbor_isa_map(map.get())) return base::invalid("claims: not a CBOR map");
  Claims out;
  bool have_hash = false;
  const cbor_pair* pairs = cbor_map_handle(map.get());
  for (size_t i = 0; i < cbor_map_size(map.get()); ++i) {
    std::optional<std::string> key = text_of(pairs[i].key);
    if (!key) continue;  // other keys are allowed and ignored
    if (*key == "nonce") {
      ASSIGN_OR_RETURN(out.nonce, bytes_of(pairs[i].value, "claims: `nonce`"));
    } else if (*key == "pubkey-hash") {
      if (have_hash) return base::invalid("claims: `pubkey-hash` appears twice");
      have_hash = true;
      ASSIGN_OR_RETURN(std::vector<uint8_t> inner,
                       bytes_of(pairs[i].value, "claims: `pubkey-hash`"));
      ASSIGN_OR_RETURN(CborPtr hash_arr, load(inner, "claims: `pubkey-hash`"));
      if (!cbor_isa_array(hash_arr.get()) || cbor_array_size(hash_arr.get()) != 2)
        return base::invalid("claims: `pubkey-hash` must be [hash-alg-id, hash]");
      cbor_item_t** items = cbor_array_handle(hash_arr.get());
      if (!cbor_isa_uint(items[0]) || cbor_get_int(items[0]) > 255)
        return base::invalid("claims: `pubkey-hash` hash-alg-id is not a small unsigned integer");
      out.hash_alg = static_cast<int64_t>(cbor_get_int(items[0]));
      ASSIGN_OR_RETURN(out.pubkey_hash, bytes_of(items[1], "claims: `pubkey-hash` hash"));
    }
  }
  if (!have_hash) return base::invalid("claims: no `pubkey-hash`");
  return out;
}

base::Result<Bytes<64>> report_data_for(std::span<const uint8_t> hashed) {
  ASSIGN_OR_RETURN(Bytes<32> h, crypto::sha256(hashed));
  Bytes<64> out{};
  std::memcpy(out.data(), h.data(), h.size());
  return out;
}

base::Result<std::vector<uint8_t>> oid_content_bytes(std::string_view dotted) {
  std::string text(dotted);
  crypto::ObjPtr obj(OBJ_txt2obj(text.c_str(), 1));
  if (!obj)
    return crypto::openssl_error(base::Category::invalid_argument, "malformed OID `" + text + "`");
  std::span<const uint8_t> b = oid_bytes(obj.get());
  return std::vector<uint8_t>(b.begin(), b.end());
}

base::Result<CertEvidence> find_cert_evidence(std::span<const uint8_t> der) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, crypto::OsslDeleter<X509, X509_free>> cert(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size())
    return crypto::openssl_error(base::Category::invalid_argument, "malformed peer certificate");
  return find_cert_evidence(cert.get());
}

base::Result<CertEvidence> find_cert_evidence(const X509* cert) {
  // Matched by the OID's content bytes, so that Gramine's certificates, whose OID value repeats
  // the tag and length (06 09 ...) and which a strict parser reads as 0.6.9.42.840.113741.1337.6,
  // are found too.
  static const std::vector<uint8_t> dice = *oid_content_bytes(kDiceEvidenceOid);
  static const std::vector<uint8_t> intel = *oid_content_bytes(kIntelRaTlsQuoteOid);
  static const std::vector<uint8_t> gramine = [] {
    std::vector<uint8_t> v(intel.size() + 2);
    v[0] = 0x06;
    v[1] = static_cast<uint8_t>(intel.size());
    std::copy(intel.begin(), intel.end(), v.begin() + 2);
    return v;
  }();
  CertEvidence dice_ext, intel_ext;
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    std::span<const uint8_t> oid = oid_bytes(X509_EXTENSION_get_object(ext));
    CertEvidence* slot = nullptr;
    EvidenceForm form = EvidenceForm::none;
    if (same(oid, dice)) {
      slot = &dice_ext, form = EvidenceForm::dice;
    } else if (same(oid, intel) || same(oid, gramine)) {
      slot = &intel_ext, form = EvidenceForm::intel_quote;
    } else {
      continue;
    }
    if (slot->form != EvidenceForm::none)
      return base::invalid("peer certificate has more than one evidence extension of one kind");
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
    const uint8_t* bytes = ASN1_STRING_get0_data(data);
    slot->form = form;
    slot->value.assign(bytes, bytes + ASN1_STRING_length(data));
  }
  // Gramine emits both; the DICE form binds the claims and is preferred.
  if (dice_ext.form != EvidenceForm::none) return dice_ext;
  return intel_ext;
}

}  // namespace rats::tls
