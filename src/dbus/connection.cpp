#include "dbus/connection.h"

#include <poll.h>
#include <unistd.h>

#include <cstdlib>

#include "base/encoding.h"
#include "base/file.h"
#include "base/socket.h"
#include "base/words.h"

namespace dbus {

using base::Result;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kAuthTimeout = std::chrono::seconds(10);

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Milliseconds left until `deadline`, at least 0.
int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::string system_bus_address() {
  const char* env = getenv("DBUS_SYSTEM_BUS_ADDRESS");
  return env && *env ? env : "unix:path=/var/run/dbus/system_bus_socket";
}

Result<std::string> socket_of_address(const std::string& address) {
  for (std::string_view entry : base::split(address, ';')) {
    if (!entry.starts_with("unix:")) continue;
    for (std::string_view kv : base::split(entry.substr(5), ',')) {
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = kv.substr(0, eq), raw = kv.substr(eq + 1);
      std::string value;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
          value.push_back(raw[i]);
          continue;
        }
        int hi = i + 2 < raw.size() ? hex_digit(raw[i + 1]) : -1;
        int lo = i + 2 < raw.size() ? hex_digit(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0)
          return base::invalid("D-Bus address `" + base::clip(address) + "`: a bad % escape");
        value.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      }
      if (value.empty() || value.find('\0') != std::string::npos)
        return base::invalid("D-Bus address `" + base::clip(address) + "`: a bad socket path");
      if (key == "path") return value;
      if (key == "abstract") return "@" + value;
    }
  }
  return base::invalid("D-Bus address `" + base::clip(address) +
                       "`: no `unix:path=` or `unix:abstract=` entry");
}

Message method_call(std::string destination, std::string path, std::string interface,
                    std::string member, std::vector<Value> body) {
  Message m;
  m.type = Type::method_call;
  m.destination = std::move(destination);
  m.path = std::move(path);
  m.interface = std::move(interface);
  m.member = std::move(member);
  m.body = std::move(body);
  return m;
}

Result<Connection> Connection::open(const std::string& address, bool hello) {
  const std::string what = "D-Bus `" + base::clip(address, 200) + "`";
  ASSIGN_OR_RETURN(std::string path, socket_of_address(address));
  Connection c;
  c.address_ = address;
  auto fd = base::connect_unix(path, what);
  if (!fd.ok()) {
    base::Error e = std::move(fd).error();
    return base::Error(base::Category::unavailable, e.message(), e.err());
  }
  c.fd_ = std::move(fd).value();
  // The credentials byte, then EXTERNAL with the uid as hex of its decimal digits.
  std::string uid = std::to_string(geteuid());
  std::string auth = std::string(1, '\0') + "AUTH EXTERNAL " +
                     base::hex_encode(reinterpret_cast<const uint8_t*>(uid.data()), uid.size()) +
                     "\r\n";
  if (!base::write_all(c.fd_.get(), auth)) return base::sys_error(what + ": send AUTH");
  auto deadline = Clock::now() + kAuthTimeout;
  while (c.in_.find("\r\n") == std::string::npos) {
    if (c.in_.size() > 4096) return base::invalid(what + ": an authentication line over 4 KiB");
    TRY_WRAP(c.read_some(deadline), what + ": authenticate");
  }
  std::string line = c.in_.substr(0, c.in_.find("\r\n"));
  c.in_.erase(0, line.size() + 2);
  if (line.rfind("OK ", 0) != 0)
    return base::Error(base::Category::permission_denied,
                       what + ": authentication refused: `" + base::clip(line, 200) + "`");
  if (!base::write_all(c.fd_.get(), "BEGIN\r\n")) return base::sys_error(what + ": send BEGIN");
  if (!hello) return c;
  auto hi = c.call(method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "Hello", {}),
                   kAuthTimeout);
  if (!hi.ok()) return std::move(hi).error().wrap(what + ": Hello");
  if (hi->type != Type::method_return || hi->signature() != "s")
    return base::Error(base::Category::unavailable,
                       what + ": Hello answered " +
                           (hi->error_name.empty() ? "`" + hi->signature() + "`"
                                                   : hi->error_name + ": " + hi->error_text()));
  c.name_ = hi->body[0].str;
  return c;
}

base::Status Connection::read_some(Clock::time_point deadline) {
  pollfd p{fd_.get(), POLLIN, 0};
  int r;
  do r = poll(&p, 1, ms_left(deadline));
  while (r < 0 && errno == EINTR);
  if (r < 0) return base::sys_error("poll");
  if (r == 0) return base::Error(base::Category::deadline_exceeded, "no answer in time");
  char buf[8192];
  ssize_t n;
  do n = read(fd_.get(), buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n < 0) return base::sys_error("read");
  if (n == 0) return base::Error(base::Category::unavailable, "the bus closed the connection");
  in_.append(buf, static_cast<size_t>(n));
  return base::ok();
}

Result<Message> Connection::read_message(Clock::time_point deadline) {
  while (in_.size() < kFixedHeader) TRY(read_some(deadline));
  ASSIGN_OR_RETURN(size_t len, message_length(in_));
  while (in_.size() < len) TRY(read_some(deadline));
  auto m = decode(std::string_view(in_).substr(0, len));
  in_.erase(0, len);
  return m;
}

Result<Message> Connection::call(Message m, std::chrono::milliseconds timeout) {
  const std::string what = "D-Bus call `" + m.interface + "." + m.member + "`";
  m.serial = ++serial_;
  ASSIGN_OR_RETURN(std::string bytes, encode(m));
  if (!base::write_all(fd_.get(), bytes)) return base::sys_error(what + ": send");
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto in = read_message(deadline);
    if (!in.ok()) return std::move(in).error().wrap(what);
    if (in->type == Type::signal) {
      if (signals_.size() < 1024) signals_.push_back(std::move(in).value());
      continue;
    }
    if ((in->type == Type::method_return || in->type == Type::error) &&
        in->reply_serial == m.serial)
      return std::move(in).value();
    // Anything else (a call to us, a stray reply) is not ours to answer: dropped.
  }
}

Result<Message> Connection::wait_signal(const std::function<bool(const Message&)>& match,
                                        std::chrono::milliseconds timeout) {
  for (auto it = signals_.begin(); it != signals_.end(); ++it)
    if (match(*it)) {
      Message m = std::move(*it);
      signals_.erase(it);
      return m;
    }
  auto deadline = Clock::now() + timeout;
  for (;;) {
    ASSIGN_OR_RETURN(Message in, read_message(deadline));
    if (in.type == Type::signal && match(in)) return in;
  }
}

}  // namespace dbus
