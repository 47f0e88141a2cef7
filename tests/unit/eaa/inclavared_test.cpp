// inclavared's parts without a daemon: routes files, rune's state, unix addresses resolved inside
// a container's root, the byte relay, and the preamble answers.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>
#include <poll.h>

#include <thread>

#include "base/file.h"
#include "base/socket.h"
#include "eaa/containers.h"
#include "eaa/inclavared.h"
#include "eaa/protocol.h"
#include "eaa/relay.h"
#include "temp_dir.h"

namespace eaa {
namespace {

TEST(EaaRoutes, ParsesRoutesAndNamesTheLineOfAnError) {
  auto r = parse_routes(
      "[route.db]\naddress = \"tcp://10.0.0.1:5443\"\n[route.local]\naddress = "
      "\"unix:///run/w.sock\"\n",
      "routes.toml");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(r->at("db").where, "10.0.0.1:5443");
  EXPECT_EQ(r->at("local").kind, Address::Kind::unix_socket);
  struct Case {
    const char* text;
    const char* want;
  } bad[] = {
      {"[route.x]\naddress = \"http://x\"\n", "routes.toml:2: route `x`"},
      {"[route.x]\nport = 1\naddress = \"tcp://a:1\"\n", "unknown key `port`"},
      {"[route.x]\n", "needs a string `address`"},
      {"[routes.x]\naddress = \"tcp://a:1\"\n", "unknown key `routes`"},
      {"[route.x\n", "routes.toml:1"},
  };
  for (const auto& c : bad) {
    auto e = parse_routes(c.text, "routes.toml");
    ASSERT_FALSE(e.ok()) << c.text;
    EXPECT_NE(e.error().message().find(c.want), std::string::npos)
        << c.text << " -> " << e.error().message();
  }
}

TEST(EaaContainers, StateAndOptIn) {
  auto c = parse_state(
      "w1", R"({"ociVersion":"1.0.2","id":"w1","pid":42,"status":"running",)"
            R"("bundle":"/b","annotations":{"enclave.attestation.address":"unix:///s"}})");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->pid, 42);
  EXPECT_EQ(c->status, "running");
  EXPECT_TRUE(c->opted_in());
  EXPECT_EQ(c->annotations.at(kAddressAnnotation), "unix:///s");
  auto plain =
      parse_state("w1", R"({"id":"w1","pid":0,"status":"stopped","annotations":{"x":"y"}})");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->opted_in());
  EXPECT_FALSE(parse_state("w1", R"({"id":"w2","status":"running"})").ok());
  EXPECT_FALSE(parse_state("w1", "not json").ok());
  RuneCommand rune{.rune = "/r", .root = "/root"};
  EXPECT_EQ(rune.argv({"state", "w1"}),
            (std::vector<std::string>{"/r", "--root", "/root", "state", "w1"}));
}

class EaaInRoot : public testutil::TempDirTest {
 protected:
  // A listening unix socket at `path`.
  base::UniqueFd listen_unix(const std::string& path) {
    base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << path;
    EXPECT_EQ(listen(fd.get(), 4), 0);
    return fd;
  }
};

TEST_F(EaaInRoot, ASocketInsideTheRootIsReachedAndSymlinksCannotLeaveIt) {
  const std::string root = dir_ + "/root", host = dir_ + "/host.sock";
  ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root + "/run").c_str(), 0755), 0);
  auto inside = listen_unix(root + "/run/w.sock");
  auto outside = listen_unix(host);
  base::UniqueFd rootfd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  // The socket the root holds; also through a symlink that stays inside.
  ASSERT_EQ(symlink("/run/w.sock", (root + "/inner.sock").c_str()), 0);
  for (const char* p : {"/run/w.sock", "/inner.sock", "/run/../run/w.sock"}) {
    auto c = connect_unix_in_root(rootfd.get(), p, "test");
    ASSERT_TRUE(c.ok()) << p << ": " << c.error().message();
    base::UniqueFd a(accept4(inside.get(), nullptr, nullptr, SOCK_CLOEXEC));
    EXPECT_TRUE(a.valid()) << p;
  }
  // Symlinks to the host's socket, absolute or climbing: resolved inside, they name nothing.
  ASSERT_EQ(symlink(host.c_str(), (root + "/abs.sock").c_str()), 0);
  ASSERT_EQ(symlink("../../../../../../../../host.sock", (root + "/up.sock").c_str()), 0);
  ASSERT_EQ(symlink("/proc/self/root/host.sock", (root + "/magic.sock").c_str()), 0);
  for (const char* p : {"/abs.sock", "/up.sock", "/magic.sock"}) {
    auto c = connect_unix_in_root(rootfd.get(), p, "test");
    ASSERT_FALSE(c.ok()) << p << " reached a socket";
    EXPECT_NE(c.error().message().find(std::string("`") + p + "` is or passes through a symlink"),
              std::string::npos)
        << c.error().message();
  }
  pollfd pf = {outside.get(), POLLIN, 0};
  EXPECT_EQ(poll(&pf, 1, 0), 0) << "the host's socket was connected to";
  // Not there, not a socket.
  auto none = connect_unix_in_root(rootfd.get(), "/run/none.sock", "test");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("/run/none.sock"), std::string::npos);
  auto dir = connect_unix_in_root(rootfd.get(), "/run", "test");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message().find("not a socket"), std::string::npos);
}

TEST(EaaRelay, CopiesBothWaysPendingBytesFirstAndPassesHalfCloses) {
  int a[2], b[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b), 0);
  base::UniqueFd client(a[0]), relay_a(a[1]), relay_b(b[0]), upstream(b[1]);
  RelayStats st;
  std::thread t([&] { st = relay(relay_a.get(), relay_b.get(), "pre-", 5000, nullptr, -1); });
  const std::string big(1 << 20, 'x');
  std::thread w([&] {
    ASSERT_TRUE(base::write_all(client.get(), big));
    shutdown(client.get(), SHUT_WR);
  });
  std::string got;
  char buf[65536];
  for (;;) {
    ssize_t n = read(upstream.get(), buf, sizeof buf);
    ASSERT_GE(n, 0);
    if (n == 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  w.join();
  EXPECT_EQ(got, "pre-" + big);  // the client's half-close reached the upstream
  // The other way still works after that half-close.
  ASSERT_TRUE(base::write_all(upstream.get(), "reply"));
  shutdown(upstream.get(), SHUT_WR);
  std::string back;
  for (;;) {
    ssize_t n = read(client.get(), buf, sizeof buf);
    ASSERT_GE(n, 0);
    if (n == 0) break;
    back.append(buf, static_cast<size_t>(n));
  }
  t.join();
  EXPECT_EQ(back, "reply");
  EXPECT_EQ(st.to_b, got.size());
  EXPECT_EQ(st.to_a, 5u);
  EXPECT_EQ(st.ended, "closed");
}

TEST(EaaRelay, EndsWhenIdleOrWhenTheWatchedProcessExits) {
  int a[2], b[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b), 0);
  base::UniqueFd c(a[0]), ra(a[1]), rb(b[0]), u(b[1]);
  EXPECT_EQ(relay(ra.get(), rb.get(), {}, 200, nullptr, -1).ended, "idle for 0 s");
  // An eventfd-like readable fd stands for an exited process's pidfd.
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  base::UniqueFd pr(p[0]), pw(p[1]);
  ASSERT_EQ(write(pw.get(), "x", 1), 1);
  EXPECT_EQ(relay(ra.get(), rb.get(), {}, 5000, nullptr, pr.get()).ended,
            "the container's init exited");
}

TEST(EaaPreambleAnswer, OkAndErrorsCarryTheirCode) {
  EXPECT_TRUE(parse_preamble_answer("{\"ok\":true}").ok());
  std::string line = preamble_error(code::unknown_target, "no container or route `x`");
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  auto e = parse_preamble_answer(line);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().category(), base::Category::not_found);
  EXPECT_NE(e.error().message().find("(unknown_target): no container or route `x`"),
            std::string::npos)
      << e.error().message();
  EXPECT_FALSE(parse_preamble_answer("HTTP/1.1 400").ok());
  EXPECT_FALSE(parse_preamble_answer("{\"ok\":false}").ok());
}

}  // namespace
}  // namespace eaa
