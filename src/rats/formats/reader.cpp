#include "rats/formats/reader.h"

namespace rats::formats {

base::Error Reader::error(std::string message) const {
  return base::invalid(std::string(what_) + ": " + message);
}

base::Result<std::span<const uint8_t>> Reader::take(std::string_view field, size_t n) {
  if (n > remaining()) {
    return error("`" + std::string(field) + "` at offset " + std::to_string(offset()) + " needs " +
                 std::to_string(n) + " bytes but " + std::to_string(remaining()) +
                 " remain (truncated)");
  }
  auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

base::Result<uint16_t> Reader::u16(std::string_view field) {
  ASSIGN_OR_RETURN(auto b, take(field, 2));
  return load_le16(b.data());
}

base::Result<uint32_t> Reader::u32(std::string_view field) {
  ASSIGN_OR_RETURN(auto b, take(field, 4));
  return load_le32(b.data());
}

base::Result<Reader> Reader::sized(std::string_view len_field, size_t len_offset, size_t n) {
  if (n > remaining()) {
    return error("`" + std::string(len_field) + "` at offset " + std::to_string(len_offset) +
                 " says " + std::to_string(n) + " bytes but " + std::to_string(remaining()) +
                 " remain");
  }
  Reader sub(data_.subspan(pos_, n), what_, offset());
  pos_ += n;
  return sub;
}

}  // namespace rats::formats
