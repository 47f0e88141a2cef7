#include "base/thread.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace base {
namespace {

void* trampoline(void* arg) {
  std::unique_ptr<std::function<void()>> f(static_cast<std::function<void()>*>(arg));
  (*f)();
  return nullptr;
}

}  // namespace

Status start_detached(std::function<void()> f, size_t stack) {
#if defined(__SANITIZE_ADDRESS__)
  stack = std::max<size_t>(stack, 1 << 20);  // ASan's redzones and fake stacks need more
#endif
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, std::max<size_t>(stack, PTHREAD_STACK_MIN));
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  auto arg = new std::function<void()>(std::move(f));
  pthread_t t;
  int err = pthread_create(&t, &attr, trampoline, arg);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    delete arg;
    return sys_error("cannot start a thread", err);
  }
  return ok();
}

}  // namespace base
