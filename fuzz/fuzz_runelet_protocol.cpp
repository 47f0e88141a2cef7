// The init-runelet's request channel (src/enclave/agent.h): one datagram as it arrives on
// runelet.sock, decoded and validated as the runelet does before acting on it; what decodes
// must encode back to the same bytes. The first input byte says how many descriptors came with
// it (exec needs three).
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "enclave/agent.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int fds = data[0] % 5;
  std::span<const char> datagram(reinterpret_cast<const char*>(data + 1), size - 1);
  auto m = enclave::decode_message(datagram, "fuzz");
  if (!m.ok()) return 0;
  auto wire = enclave::encode_message(*m);
  if (!wire.ok() || wire->size() != datagram.size() ||
      std::memcmp(wire->data(), datagram.data(), datagram.size()) != 0)
    __builtin_trap();
  for (int i = 0; i < fds; ++i) m->fds.emplace_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto request = enclave::parse_request(*m);
  if (request.ok()) {
    if (auto* exec = std::get_if<enclave::ExecRequest>(&*request))
      if (exec->argv.empty() || m->fds.size() != 3) __builtin_trap();
  }
  (void)enclave::error_from(*m);
  (void)enclave::decode_lists(m->payload, 2);
  return 0;
}
