#include "eaa/address.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/socket.h"
#include "rats/tls/cli.h"

namespace eaa {

base::Result<Address> parse_address(const std::string& text) {
  Address a;
  a.text = text;
  if (text.find('\0') != std::string::npos)
    return base::invalid("address `" + base::clip(text) + "` holds a NUL");
  if (text.rfind("tcp://", 0) == 0) {
    a.kind = Address::Kind::tcp;
    a.where = text.substr(6);
    auto colon = a.where.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == a.where.size())
      return base::invalid("address `" + base::clip(text) + "`: want tcp://HOST:PORT");
    return a;
  }
  if (text.rfind("unix://", 0) == 0) {
    a.kind = Address::Kind::unix_socket;
    a.where = text.substr(7);
    if (a.where.empty() || a.where[0] != '/')
      return base::invalid("address `" + base::clip(text) + "`: want unix:///absolute/path");
    sockaddr_un sa;
    auto fits = base::unix_address(a.where, sa, "address `" + base::clip(text) + "`");
    if (!fits.ok()) return std::move(fits).error();
    return a;
  }
  return base::invalid("address `" + base::clip(text) + "`: want tcp://HOST:PORT or unix:///PATH");
}

base::Result<base::UniqueFd> listen_at(const Address& a) {
  if (a.kind == Address::Kind::tcp) {
    ASSIGN_OR_RETURN(int fd, rats::tls::cli::listen_on(a.where));
    return base::UniqueFd(fd);
  }
  return base::listen_unix(a.where, "`" + a.text + "`");
}

base::Result<base::UniqueFd> connect_to(const Address& a) {
  if (a.kind == Address::Kind::tcp) {
    auto fd = rats::tls::cli::connect_to(a.where);
    if (!fd.ok()) return std::move(fd).error().wrap("`" + a.text + "`");
    return base::UniqueFd(*fd);
  }
  return base::connect_unix(a.where, "`" + a.text + "`");
}

std::string bound_address(const Address& a, int fd) {
  if (a.kind == Address::Kind::tcp) return "tcp://" + rats::tls::cli::local_address(fd);
  return a.text;
}

}  // namespace eaa
