// What the host-side test helpers share (seccomp_listener.c, console_receiver.c): listen on a
// unix socket path, take one connection, and receive one message with a descriptor attached.
#pragma once

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

// Receives one message of at most `len` bytes into `buf` from the first connection to the unix
// socket made at `path`; `*fd` gets the descriptor that came with it, or -1. The message's
// length, or -1 (the failed step is printed).
static ssize_t receive_fd(const char* path, void* buf, size_t len, int* fd) {
  *fd = -1;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  unlink(path);
  if (bind(s, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(s, 1) != 0) {
    perror("bind/listen");
    return -1;
  }
  int c = accept(s, NULL, NULL);
  if (c < 0) {
    perror("accept");
    return -1;
  }
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {buf, len};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n = recvmsg(c, &msg, 0);
  if (n < 0) {
    perror("recvmsg");
    return -1;
  }
  for (struct cmsghdr* h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h))
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
      memcpy(fd, CMSG_DATA(h), sizeof *fd);
  return n;
}
