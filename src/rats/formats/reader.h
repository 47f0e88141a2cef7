// A bounded cursor over untrusted evidence bytes (internal to src/rats/formats).
//
// Every read names the field it reads; a read past the end fails with the field, its absolute
// offset in the whole input and how many bytes remain. Sub-readers keep absolute offsets, so a
// message about a nested field still points into the file the user has.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/le_load.h"
#include "base/error.h"

namespace rats::formats {

using base::load_le16;
using base::load_le32;
using base::load_le64;

class Reader {
 public:
  // `what` prefixes every message ("quote", "snp report"); `base` is the absolute offset of
  // data[0] in the whole input.
  Reader(std::span<const uint8_t> data, std::string_view what, size_t base = 0)
      : data_(data), what_(what), base_(base) {}

  size_t offset() const { return base_ + pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }

  // The next n bytes of a fixed-size field.
  base::Result<std::span<const uint8_t>> take(std::string_view field, size_t n);
  base::Result<uint16_t> u16(std::string_view field);
  base::Result<uint32_t> u32(std::string_view field);
  // A region of n bytes whose length was read from the length field `len_field` at
  // `len_offset`; fails with "`len_field` at offset X says n bytes but m remain".
  base::Result<Reader> sized(std::string_view len_field, size_t len_offset, size_t n);

  // An invalid_argument error prefixed with `what`.
  base::Error error(std::string message) const;

 private:
  std::span<const uint8_t> data_;
  std::string_view what_;
  size_t base_;
  size_t pos_ = 0;
};

}  // namespace rats::formats
