#include "ttrpc/frame.h"

#include <algorithm>

namespace ttrpc {
namespace {

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
uint32_t get_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

}  // namespace

void encode_header(const Header& h, uint8_t out[kHeaderSize]) {
  put_be32(out, h.length);
  put_be32(out + 4, h.stream_id);
  out[8] = h.type;
  out[9] = h.flags;
}

Header decode_header(const uint8_t in[kHeaderSize]) {
  return Header{get_be32(in), get_be32(in + 4), in[8], in[9]};
}

std::string encode_frame(uint32_t stream_id, MessageType type, std::string_view payload) {
  std::string out(kHeaderSize + payload.size(), '\0');
  encode_header(Header{uint32_t(payload.size()), stream_id, type, 0},
                reinterpret_cast<uint8_t*>(out.data()));
  std::copy(payload.begin(), payload.end(), out.begin() + kHeaderSize);
  return out;
}

void FrameReader::feed(const void* data, size_t len) {
  auto p = static_cast<const char*>(data);
  if (skip_ > 0) {
    size_t n = size_t(std::min<uint64_t>(skip_, len));
    skip_ -= n;
    p += n;
    len -= n;
  }
  if (len == 0) return;
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  buf_.append(p, len);
}

FrameReader::Item FrameReader::next() {
  Item item;
  if (skip_ > 0 || buf_.size() - pos_ < kHeaderSize) return item;
  item.header = decode_header(reinterpret_cast<const uint8_t*>(buf_.data() + pos_));
  if (item.header.length > kMaxMessage) {
    // Drop what of the payload is here already, the rest as it comes.
    pos_ += kHeaderSize;
    size_t here = std::min<size_t>(buf_.size() - pos_, item.header.length);
    pos_ += here;
    skip_ = item.header.length - here;
    // Bytes after the payload (the next frame) were fed before we knew: keep them.
    buf_.erase(0, pos_);
    pos_ = 0;
    item.kind = Kind::oversized;
    return item;
  }
  if (buf_.size() - pos_ - kHeaderSize < item.header.length) return item;
  item.payload.assign(buf_, pos_ + kHeaderSize, item.header.length);
  pos_ += kHeaderSize + item.header.length;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > (64u << 10)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  item.kind = Kind::frame;
  return item;
}

}  // namespace ttrpc
