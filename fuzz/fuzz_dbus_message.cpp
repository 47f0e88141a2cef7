// The D-Bus messages rune reads from the bus under `--systemd-cgroup` (src/dbus/message.h): any
// bytes go through message_length and decode as the connection does; what decodes must encode
// and decode again to the same message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dbus/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)dbus::complete_type_length(bytes.substr(0, 300));
  auto len = dbus::message_length(bytes);
  if (!len.ok() || *len != size) return 0;
  auto m = dbus::decode(bytes);
  if (!m.ok()) return 0;
  auto again = dbus::encode(*m);
  if (!again.ok()) return 0;  // a NUL in a decoded string cannot happen; an oversized body can
  auto back = dbus::decode(*again);
  if (!back.ok() || back->body != m->body || back->path != m->path || back->member != m->member ||
      back->serial != m->serial || back->reply_serial != m->reply_serial || back->type != m->type)
    __builtin_trap();
  return 0;
}
