#define _GNU_SOURCE
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inclavare/sim_tee.h"
#include "log.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_epoll = -1, g_stop = -1;
static pthread_t g_thread;
static int g_running;
static sim_channel_report_fn g_report;
static int* g_fds; /* the served ends, to close at shutdown */
static size_t g_nfds, g_cap;

static void forget_locked(int fd) {
  for (size_t i = 0; i < g_nfds; i++) {
    if (g_fds[i] == fd) {
      g_fds[i] = g_fds[--g_nfds];
      return;
    }
  }
}

static void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* One request on `fd`: answered, or the channel closed (EOF, error). */
static void serve(int fd) {
  uint8_t req[SIM_TEE_ATTEST_REQUEST_SIZE + 1];
  ssize_t n = recv(fd, req, sizeof req, MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    pthread_mutex_lock(&g_mu);
    forget_locked(fd);
    pthread_mutex_unlock(&g_mu);
    epoll_ctl(g_epoll, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    return;
  }
  uint8_t reply[SIM_TEE_ATTEST_REPLY_SIZE];
  memset(reply, 0, sizeof reply);
  size_t reply_len = 4;
  int rc = -EINVAL;
  if (n == SIM_TEE_ATTEST_REQUEST_SIZE) rc = g_report(req, req + 512, reply + 4);
  if (rc == 0)
    reply_len = sizeof reply;
  else
    sim_log(SIM_DEBUG, "attestation channel: %s",
            n != SIM_TEE_ATTEST_REQUEST_SIZE ? "a request of the wrong size" : strerror(-rc));
  put_le32(reply, (uint32_t)-rc);
  (void)send(fd, reply, reply_len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void* serve_channels(void* arg) {
  (void)arg;
  for (;;) {
    struct epoll_event ev[16];
    int n = epoll_wait(g_epoll, ev, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return NULL;
    for (int i = 0; i < n; i++) {
      if (ev[i].data.fd == g_stop) return NULL;
      serve(ev[i].data.fd);
    }
  }
}

/* g_mu held. */
static int start_locked(void) {
  if (g_running) return 0;
  g_epoll = epoll_create1(EPOLL_CLOEXEC);
  g_stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = g_stop};
  int rc = 0;
  if (g_epoll < 0 || g_stop < 0 || epoll_ctl(g_epoll, EPOLL_CTL_ADD, g_stop, &ev) != 0) rc = -errno;
  if (rc == 0) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    rc = -pthread_create(&g_thread, &attr, serve_channels, NULL);
    pthread_attr_destroy(&attr);
  }
  if (rc != 0) {
    if (g_epoll >= 0) close(g_epoll);
    if (g_stop >= 0) close(g_stop);
    g_epoll = g_stop = -1;
    return rc;
  }
  g_running = 1;
  return 0;
}

int sim_channel_open(sim_channel_report_fn report, int* process_end) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -errno;
  /* The process's end is never 0, 1 or 2, which its stdio takes over in the child. */
  if (pair[1] < 3) {
    int moved = fcntl(pair[1], F_DUPFD_CLOEXEC, 3);
    close(pair[1]);
    if (moved < 0) {
      close(pair[0]);
      return -errno;
    }
    pair[1] = moved;
  }
  pthread_mutex_lock(&g_mu);
  g_report = report;
  int rc = start_locked();
  if (rc == 0 && g_nfds == g_cap) {
    size_t cap = g_cap ? 2 * g_cap : 16;
    int* fds = realloc(g_fds, cap * sizeof *fds);
    if (fds) {
      g_fds = fds;
      g_cap = cap;
    } else {
      rc = -ENOMEM;
    }
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = pair[0]};
  if (rc == 0 && epoll_ctl(g_epoll, EPOLL_CTL_ADD, pair[0], &ev) != 0) rc = -errno;
  if (rc == 0) g_fds[g_nfds++] = pair[0];
  pthread_mutex_unlock(&g_mu);
  if (rc != 0) {
    close(pair[0]);
    close(pair[1]);
    return rc;
  }
  *process_end = pair[1];
  return 0;
}

void sim_channel_shutdown(void) {
  pthread_mutex_lock(&g_mu);
  int running = g_running;
  g_running = 0;
  pthread_mutex_unlock(&g_mu);
  if (!running) return;
  uint64_t one = 1;
  (void)!write(g_stop, &one, sizeof one);
  pthread_join(g_thread, NULL);
  pthread_mutex_lock(&g_mu);
  for (size_t i = 0; i < g_nfds; i++) close(g_fds[i]);
  g_nfds = 0;
  close(g_epoll);
  close(g_stop);
  g_epoll = g_stop = -1;
  pthread_mutex_unlock(&g_mu);
}
