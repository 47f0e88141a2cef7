// EAA addresses: `tcp://HOST:PORT` (HOST may be `[v6]`) or `unix://PATH` (absolute).
#pragma once

#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace eaa {

struct Address {
  enum class Kind { tcp, unix_socket } kind = Kind::tcp;
  std::string where;  // HOST:PORT or the socket's path
  std::string text;   // as given
};

// Errors name the address and what is wrong with it.
base::Result<Address> parse_address(const std::string& text);

// A listening socket. A unix socket path that a live server answers on is refused, a stale one
// (nothing answers) replaced.
base::Result<base::UniqueFd> listen_at(const Address& a);
// A connected stream socket.
base::Result<base::UniqueFd> connect_to(const Address& a);
// `tcp://HOST:PORT` of a bound TCP socket (PORT 0 resolved), or the unix address as given.
std::string bound_address(const Address& a, int fd);

}  // namespace eaa
