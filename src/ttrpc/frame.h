// ttrpc framing (containerd/ttrpc 1.1): a 10-byte header, then the payload.
//
//   u32 BE length of the payload | u32 BE stream id | u8 type (1 request, 2 response) | u8 flags
//
// A payload is at most kMaxMessage bytes. FrameReader cuts a byte stream into frames
// incrementally (a socket's reads, a fuzzer's input): a frame whose header announces more than
// the maximum is reported as oversized at once and its payload skipped as it arrives, never
// buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ttrpc {

constexpr size_t kHeaderSize = 10;
constexpr uint32_t kMaxMessage = 4u << 20;

enum MessageType : uint8_t { kRequest = 1, kResponse = 2 };

struct Header {
  uint32_t length = 0;
  uint32_t stream_id = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
};

void encode_header(const Header& h, uint8_t out[kHeaderSize]);
Header decode_header(const uint8_t in[kHeaderSize]);
// Header and payload as one buffer, ready to write.
std::string encode_frame(uint32_t stream_id, MessageType type, std::string_view payload);

class FrameReader {
 public:
  enum class Kind { need_more, frame, oversized };
  struct Item {
    Kind kind = Kind::need_more;
    Header header;
    std::string payload;  // kind == frame only
  };

  void feed(const void* data, size_t len);
  // The next complete frame or oversized header, or need_more.
  Item next();
  // True while part of a frame (or of an oversized frame's payload) is still to come: EOF now is
  // EOF in the middle of a frame.
  bool mid_frame() const { return skip_ > 0 || buf_.size() > pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;     // consumed prefix of buf_
  uint64_t skip_ = 0;  // bytes of an oversized payload still to drop
};

}  // namespace ttrpc
